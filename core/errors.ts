/**
 * The one error type of `core/`: a contract was broken by its input (a malformed event, feed, manifest,
 * shard or update). Each layer translates it once at its boundary: HTTP 4xx in the server, `CliError`
 * in the CLI, an `edge-recs:error` state in the widget.
 */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  constructor(
    /** Stable machine-readable code, e.g. `bad_event`, `bad_manifest`, `integrity`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Short, safe rendering of an offending value for an error message. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
