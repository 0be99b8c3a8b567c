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

/**
 * Short, safe rendering of an offending value for an error message. Never throws: a value too deep to
 * stringify (each step of `JSON.stringify` and `String()` recurses) is named by its kind instead, since
 * an error message that throws turns a bad input into a server fault.
 */
export function show(value: unknown): string {
  let text: string;
  try {
    // Only the start is shown, so a long string is not copied whole first.
    text = typeof value === 'string' ? JSON.stringify(value.length > 200 ? value.slice(0, 200) : value) : (JSON.stringify(value) ?? String(value));
  } catch {
    try {
      text = String(value);
    } catch {
      text = Array.isArray(value) ? '(a deeply nested array)' : `(a deeply nested ${typeof value})`;
    }
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
