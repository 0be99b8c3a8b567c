import { parse } from 'csv-parse/sync';
import { ContractError, isRecord } from '../core/errors.ts';
import { EVENT_NAMES, interestSequence, parseEvent, type EventName, type ShopEvent } from '../core/events.ts';
import { fromSequences, type Dataset } from './dataset.ts';

/**
 * Training data from GA4-style event logs, read through the same event schema (`core/events.ts`) the
 * widget's tracker uses. One event per CSV row or JSONL line:
 *
 *   client_id,timestamp,event_name,item_id,item_category,price,quantity
 *   c-17,2026-11-02T10:31:00Z,view_item,sku-0042,Skin care,24.90,1
 *
 * JSONL lines may also carry a GA4 `items` array instead of a flat `item_id`. `timestamp` is ISO-8601 or
 * a Unix time in seconds or milliseconds. Per client, the counted events in time order become one
 * sequence (consecutive repeats of an item collapse, as on the device).
 */
export interface EventsLogOptions {
  /** Event names that count as interactions. Default: view_item, select_item, add_to_cart, purchase. */
  counted: readonly EventName[];
}

interface Row {
  line: number;
  raw: Record<string, unknown>;
}

function fail(file: string, line: number, message: string): never {
  throw new ContractError('bad_data', `${file}:${line}: ${message}`);
}

function toMillis(value: unknown, file: string, line: number): number {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()))) {
    const n = Number(value);
    // Seconds until the year 5138; milliseconds after.
    return n < 1e11 ? n * 1000 : n;
  }
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  return fail(file, line, `timestamp must be ISO-8601 or Unix seconds/milliseconds (got ${JSON.stringify(value)})`);
}

function rowsOf(text: string, file: string): Row[] {
  const firstChar = text.trimStart()[0];
  if (firstChar === '{') {
    return text.split('\n').flatMap((line, i) => {
      if (line.trim() === '') return [];
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        fail(file, i + 1, 'not valid JSON');
      }
      if (!isRecord(raw)) fail(file, i + 1, 'expected a JSON object per line');
      return [{ line: i + 1, raw }];
    });
  }
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true }) as typeof records;
  } catch (e) {
    const m = /line (\d+)/i.exec(String(e));
    return fail(file, m ? Number(m[1]) : 1, `malformed CSV (${(e as Error).message})`);
  }
  return records.map(({ record, info }) => ({ line: info.lines, raw: record }));
}

/** Parses a CSV or JSONL event log into per-client sequences. Errors name the file and line. */
export function parseEventsLog(text: string, file: string, options: EventsLogOptions): Dataset {
  const byClient = new Map<string, ShopEvent[]>();
  for (const { line, raw } of rowsOf(text, file)) {
    const client = raw.client_id ?? raw.clientId;
    if ((typeof client !== 'string' && typeof client !== 'number') || String(client).trim() === '') {
      fail(file, line, 'client_id is missing');
    }
    const name = raw.event_name ?? raw.name;
    if (!EVENT_NAMES.includes(name as EventName)) {
      fail(file, line, `event_name must be one of ${EVENT_NAMES.join(', ')} (got ${JSON.stringify(name)})`);
    }
    const num = (v: unknown): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
    const items = Array.isArray(raw.items)
      ? raw.items
      : [{ item_id: raw.item_id, item_category: raw.item_category || undefined, price: num(raw.price), quantity: num(raw.quantity) }];
    let event: ShopEvent;
    try {
      event = parseEvent(name, { items, ts: toMillis(raw.timestamp, file, line) });
    } catch (e) {
      if (e instanceof ContractError) fail(file, line, e.message);
      throw e;
    }
    const key = String(client);
    const list = byClient.get(key);
    if (list) list.push(event);
    else byClient.set(key, [event]);
  }
  if (byClient.size === 0) throw new ContractError('bad_data', `${file}: no events`);
  const users = [...byClient.keys()];
  return fromSequences(users, users.map((u) => interestSequence(byClient.get(u)!, options.counted)));
}
