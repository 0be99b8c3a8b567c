/**
 * The fixture shop's shopper history as its GA4 BigQuery export writes it: newline-delimited JSON, one
 * event per line, the export schema's nesting (`event_params[]` of `{key, value: {string_value, int_value,
 * ...}}`, `items[]`, `device`, `geo`, `ecommerce`, ...), INT64 columns as strings (`event_timestamp` in
 * microseconds, `quantity`), FLOAT64 as numbers, NULLs written out, `(not set)` where GA4 has no value, and
 * the events every export is full of besides e-commerce: `first_visit`, `session_start`, `page_view`,
 * `user_engagement`, `scroll`, `view_promotion` (its item is `(not set)`), `view_item_list`,
 * `begin_checkout`.
 *
 * Shoppers are simulated from a seed: each has favourite product types and moves on to what goes with
 * them (tent -> sleeping bag -> mat, stove -> cookware), views jackets and boots in one of their sizes
 * (the variant ids of an `item_group_id`), sometimes adds to the cart and buys. The new arrivals of
 * `catalog.ts` never occur; a discontinued product does.
 */
import { gzipSync } from 'node:zlib';
import { rng } from '../../../core/random.ts';
import { ga4Device, ga4Ecommerce, ga4Item, ga4Param, ga4Row, type Ga4Ecommerce, type Ga4Item, type Ga4Param, type Ga4Row } from '../ga4-export.ts';
import { DISCONTINUED_ID, HISTORY_PRODUCTS, productPath, type FixtureProduct } from './catalog.ts';

/** What shoppers look at next, by product type (the second level of `product_type`). */
const GOES_WITH: Record<string, string[]> = {
  Tents: ['Sleeping bags', 'Sleeping mats'],
  'Sleeping bags': ['Sleeping mats', 'Tents'],
  'Sleeping mats': ['Sleeping bags', 'Headlamps'],
  Stoves: ['Cookware'],
  Cookware: ['Stoves', 'Water'],
  Backpacks: ['Water', 'Headlamps'],
  Headlamps: ['First aid', 'Backpacks'],
  Water: ['First aid', 'Backpacks'],
  Navigation: ['First aid', 'Backpacks'],
  'First aid': ['Navigation'],
  Jackets: ['Socks', 'Boots'],
  Boots: ['Socks', 'Jackets'],
  'Trail shoes': ['Socks', 'Backpacks'],
  Socks: ['Boots', 'Trail shoes'],
};

const leafType = (p: FixtureProduct): string => p.type.split('>').at(-1)!.trim();

export interface HistoryOptions {
  /** Shoppers (`user_pseudo_id`s). Default 140. */
  users?: number;
  seed?: number;
  /** Origin the exported `page_location`s name. */
  origin?: string;
}

/**
 * The export as a merchant downloads it: one gzipped file of newline-delimited JSON per daily table
 * (`events_YYYYMMDD.json.gz`), by file name.
 */
export function ga4DailyShards(options: HistoryOptions = {}): Map<string, Buffer> {
  const days = new Map<string, string[]>();
  for (const line of ga4BigQueryExport(options).split('\n')) {
    if (line === '') continue;
    const day = (JSON.parse(line) as { event_date: string }).event_date;
    const list = days.get(day) ?? [];
    list.push(line);
    days.set(day, list);
  }
  return new Map([...days].sort().map(([day, lines]) => [`events_${day}.json.gz`, gzipSync(`${lines.join('\n')}\n`)]));
}

/** The export, one JSON object per line, oldest first within each shopper. */
function ga4BigQueryExport(options: HistoryOptions = {}): string {
  const random = rng(options.seed ?? 20261001);
  const origin = options.origin ?? 'https://shop.fjellpine.example';
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const byType = new Map<string, FixtureProduct[]>();
  for (const p of HISTORY_PRODUCTS) {
    const list = byType.get(leafType(p)) ?? [];
    list.push(p);
    byType.set(leafType(p), list);
  }
  // One card per jacket or boot: a shopper views the group in the size they wear.
  const types = [...byType.keys()];
  const lines: string[] = [];
  const start = Date.UTC(2026, 9, 1);
  for (let u = 0; u < (options.users ?? 140); u++) {
    const pseudoId = `${1_000_000_000 + Math.floor(random() * 8_999_999_999)}.${1_780_000_000 + u}`;
    const userId = random() < 0.2 ? `cust-${10_000 + u}` : null;
    const size = pick(['S', 'M', 'L']);
    const shoe = pick(['42', '44']);
    let t = start + Math.floor(random() * 25 * 86_400_000);
    const firstTouch = t;
    const sessions = 1 + Math.floor(random() * 2);
    for (let s = 0; s < sessions; s++) {
      const sessionId = String(Math.floor(t / 1000));
      let page = 0;
      const emit = (name: string, extra: { items?: Ga4Item[]; params?: Ga4Param[]; ecommerce?: Ga4Ecommerce | null; location?: string } = {}): void => {
        t += 4_000 + Math.floor(random() * 40_000);
        lines.push(JSON.stringify(exportRow({ name, t, pseudoId, userId, firstTouch, sessionId, page: (page += name === 'page_view' ? 1 : 0), origin, ...extra })));
      };
      if (s === 0) emit('first_visit');
      emit('session_start');
      emit('page_view', { location: '/' });
      if (random() < 0.4) emit('view_promotion', { items: [notSetItem('Autumn sale')] });
      const basket: FixtureProduct[] = [];
      let type = pick(types);
      const length = 4 + Math.floor(random() * 6);
      for (let i = 0; i < length; i++) {
        const candidates = byType.get(type)!.filter((p) => !p.group || p.size === size || p.size === shoe);
        const product = pick(candidates.length > 0 ? candidates : byType.get(type)!);
        if (i === 0 || random() < 0.15) {
          emit('page_view', { location: `/c/${type.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` });
          emit('view_item_list', { items: byType.get(type)!.slice(0, 4).map((p, index) => item(p, { list: type, index })) });
        }
        emit('select_item', { items: [item(product, { list: type })] });
        emit('page_view', { location: productPath(product.id) });
        emit('view_item', { items: [item(product, { quantity: null })], params: [value(product.sale ?? product.price)] });
        if (random() < 0.5) emit('scroll', { params: [ga4Param('percent_scrolled', 90)] });
        emit('user_engagement', { params: [ga4Param('engagement_time_msec', 2_000 + Math.floor(random() * 30_000))] });
        if (random() < 0.3 && product.inStock) {
          basket.push(product);
          emit('add_to_cart', { items: [item(product, { quantity: 1 })], params: [value(product.sale ?? product.price)] });
        }
        // Last year's shoppers also looked at a product the shop no longer sells.
        if (random() < 0.03) emit('view_item', { items: [{ ...item(HISTORY_PRODUCTS[0]!, { quantity: null }), item_id: DISCONTINUED_ID, item_name: 'Fjellpine Classic Poncho' }] });
        type = random() < 0.55 ? pick(GOES_WITH[type] ?? types) : random() < 0.7 ? type : pick(types);
      }
      if (basket.length > 0 && random() < 0.6) {
        const total = basket.reduce((sum, p) => sum + (p.sale ?? p.price), 0);
        emit('page_view', { location: '/cart' });
        emit('begin_checkout', { items: basket.map((p) => item(p, { quantity: 1 })), params: [value(total)] });
        const transaction = `FP-${100_000 + lines.length}`;
        emit('purchase', {
          items: basket.map((p) => item(p, { quantity: 1, revenue: p.sale ?? p.price })),
          params: [value(total), ga4Param('transaction_id', transaction)],
          ecommerce: ga4Ecommerce({ total_item_quantity: String(basket.length), purchase_revenue: total, purchase_revenue_in_usd: round(total * 1.08), unique_items: String(new Set(basket).size), transaction_id: transaction }),
        });
      }
      t += 2 * 86_400_000 + Math.floor(random() * 5 * 86_400_000);
    }
  }
  return `${lines.join('\n')}\n`;
}

const round = (x: number): number => Math.round(x * 100) / 100;
const value = (v: number): Ga4Param => ga4Param('value', v, 'double');

/** A product's `items[]` entry. */
function item(p: FixtureProduct, o: { quantity?: number | null; list?: string; index?: number; revenue?: number } = {}): Ga4Item {
  const [category, category2] = p.type.split('>').map((s) => s.trim());
  const price = p.sale ?? p.price;
  return ga4Item({
    item_id: p.id,
    item_name: p.title,
    item_brand: p.brand,
    item_variant: p.size,
    item_category: category,
    item_category2: category2,
    price_in_usd: round(price * 1.08),
    price,
    quantity: o.quantity == null ? null : String(o.quantity),
    item_revenue_in_usd: o.revenue === undefined ? null : round(o.revenue * 1.08),
    item_revenue: o.revenue ?? null,
    affiliation: 'Fjellpine web shop',
    item_list_id: o.list?.toLowerCase(),
    item_list_name: o.list,
    item_list_index: o.index === undefined ? undefined : String(o.index + 1),
  });
}

/** `view_promotion`'s item: a banner, not a product. */
function notSetItem(promotion: string): Ga4Item {
  return ga4Item({ affiliation: 'Fjellpine web shop', promotion_id: 'autumn', promotion_name: promotion, creative_slot: 'hero' });
}

interface RowInput {
  name: string;
  t: number;
  pseudoId: string;
  userId: string | null;
  firstTouch: number;
  sessionId: string;
  page: number;
  origin: string;
  items?: Ga4Item[];
  params?: Ga4Param[];
  ecommerce?: Ga4Ecommerce | null;
  location?: string;
}

const micros = (ms: number): string => `${ms}${String(Math.floor((ms % 7) * 142)).padStart(3, '0')}`;

/** One row of the `events_YYYYMMDD` table as `bq extract --destination_format NEWLINE_DELIMITED_JSON` writes it. */
function exportRow(r: RowInput): Ga4Row {
  const date = new Date(r.t).toISOString().slice(0, 10).replace(/-/g, '');
  const params: Ga4Param[] = [
    ga4Param('ga_session_id', Number(r.sessionId)),
    ga4Param('ga_session_number', 1),
    ga4Param('page_location', `${r.origin}${r.location ?? '/'}`),
    ga4Param('page_title', 'Fjellpine Outfitters'),
    ga4Param('engaged_session_event', 1),
    ...(r.params ?? []),
  ];
  const ecommerce = r.ecommerce !== undefined ? r.ecommerce : r.items && r.name !== 'view_promotion' ? ga4Ecommerce({ total_item_quantity: '0', unique_items: String(r.items.length) }) : null;
  return ga4Row({
    event_date: date,
    event_timestamp: micros(r.t),
    event_name: r.name,
    event_params: params,
    event_bundle_sequence_id: String(1000 + r.page),
    event_server_timestamp_offset: String(250_000 + (r.t % 97)),
    user_id: r.userId,
    user_pseudo_id: r.pseudoId,
    privacy_info: { analytics_storage: 'Yes', ads_storage: 'No', uses_transient_token: 'No' },
    user_first_touch_timestamp: micros(r.firstTouch),
    device: ga4Device({ category: 'desktop', mobile_brand_name: 'Google', mobile_model_name: 'Chrome', operating_system: 'Linux', operating_system_version: 'Linux x86_64', language: 'en-gb', is_limited_ad_tracking: 'No', web_info: { browser: 'Chrome', browser_version: '131.0.0.0', hostname: 'shop.fjellpine.example' } }),
    geo: { city: '(not set)', country: 'Norway', continent: 'Europe', region: '(not set)', sub_continent: 'Northern Europe', metro: '(not set)' },
    traffic_source: { name: '(direct)', medium: '(none)', source: '(direct)' },
    stream_id: '4567890123',
    platform: 'WEB',
    ecommerce,
    items: r.items,
    is_active_user: true,
    batch_event_index: String(r.page),
    batch_page_id: String(r.t - (r.t % 1000)),
    batch_ordering_id: String(r.page),
  });
}
