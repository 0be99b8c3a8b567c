/**
 * The CLI's client of an edge server's admin API (`/v1/admin/*`), shared by `publish`, `models`,
 * `catalog upload` and `bestsellers upload`: it resolves the server and the token once, sends each
 * request, and turns every refusal into one `CliError` naming the server's error code and message.
 */
import { CliError } from '../errors.ts';

/** The flags every admin command takes. */
export interface AdminArgs {
  /** `--server`, else the `EDGE_RECS_SERVER` environment variable: the edge server's base URL. */
  server?: string;
  /** `--token`, else the `EDGE_RECS_TOKEN` environment variable (kept out of shell history). */
  token?: string;
  /** Seconds to wait for the server. */
  timeout: number;
}

/** A request body with its media type. */
export interface AdminBody {
  type?: string;
  data: string | Uint8Array | FormData;
}

export interface AdminClient {
  /** The server's origin, for messages. */
  origin: string;
  /**
   * Sends one request to `path` (relative to `/v1/admin/`, e.g. `models/default/versions`).
   * @param what names the thing acted on in a refusal, e.g. `default@v3` or `catalog feed.tsv`.
   * @returns the JSON body of a 2xx answer and its status.
   * @throws CliError (exit 1) with the server's code and message, and a hint where one helps.
   */
  send(method: string, path: string, what: string, body?: AdminBody): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Where a refused request most likely went wrong, by status and code. */
function hintFor(status: number, code: string | undefined, modelFlag: string): string {
  if (status === 401 || status === 403) return ' (check --token or EDGE_RECS_TOKEN: it must be one of the server\'s admin tokens)';
  if (code === 'admin_disabled') return ' (the server has no admin token configured: EDGE_RECS_ADMIN_TOKENS on Node, the ADMIN_TOKENS secret on Workers)';
  if (status === 404 && code === 'not_found') return ' (is --server the edge server\'s base URL?)';
  if (status === 404 && code === 'unknown_model') return ` (${modelFlag} picks the model: the widget's data-model, "default" when ${modelFlag} is not given; "edge-recs models list --name NAME" shows a published one)`;
  return '';
}

/**
 * Checks the server URL and the token. `modelFlag`: the flag that picks the model, for hints (default `--name`).
 * @throws CliError (exit 2) when either is missing or the URL is not http(s).
 */
export function adminClient(a: AdminArgs, options: { modelFlag?: string } = {}): AdminClient {
  const modelFlag = options.modelFlag ?? '--name';
  const server = a.server ?? process.env.EDGE_RECS_SERVER;
  if (!server) throw new CliError('--server (or the EDGE_RECS_SERVER environment variable) is required: the edge server\'s URL, e.g. https://recs.example.com', 2);
  const token = a.token ?? process.env.EDGE_RECS_TOKEN;
  if (!token) throw new CliError('--token (or the EDGE_RECS_TOKEN environment variable) is required: an admin token of the server', 2);
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new CliError(`--server must be the edge server's URL, e.g. https://recs.example.com (got "${server}")`, 2);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new CliError(`--server must be an http(s) URL (got "${server}")`, 2);
  // A server behind a path prefix (https://shop.example/recs) keeps it: resolve against a trailing "/".
  const root = new URL('v1/admin/', base.href.endsWith('/') ? base : `${base.href}/`);

  return {
    origin: base.origin,
    async send(method, path, what, body) {
      const url = new URL(path, root);
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      if (body?.type) headers['Content-Type'] = body.type;
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body: body?.data as BodyInit | undefined, signal: AbortSignal.timeout(a.timeout * 1000) });
      } catch (e) {
        if ((e as Error).name === 'TimeoutError') throw new CliError(`${base.origin} did not answer within ${a.timeout} s (--timeout)`);
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new CliError(`cannot reach ${base.origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
      }
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not our server's JSON (a proxy's error page): reported by status below.
      }
      const json = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
      if (!res.ok) {
        const error = json?.error as { code?: string; message?: string } | undefined;
        const detail = error?.code ? `${error.code}: ${error.message}` : `HTTP ${res.status} (not an EdgeRecs error; is --server the edge server?)`;
        throw new CliError(`${base.origin} refused ${what}: ${detail}${hintFor(res.status, error?.code, modelFlag)}`);
      }
      if (!json) throw new CliError(`${base.origin} answered ${method} ${url.pathname} with HTTP ${res.status} but no JSON object; is --server the edge server?`);
      return { status: res.status, body: json };
    },
  };
}

/** The state of a model record as the admin API answers it (`GET /v1/admin/models/:name/versions`). */
export interface ModelState {
  name: string;
  current: string;
  canary: { version: string; percent: number } | null;
  versions: Array<{ version: string; publishedAt: string; manifestSha256: string }>;
}

/** Who gets which version, in words: "v3 on 10% (canary), v2 current" or "v2 current for everyone". */
export function servingLine(state: Pick<ModelState, 'current' | 'canary'>): string {
  return state.canary ? `${state.canary.version} on ${state.canary.percent}% (canary), ${state.current} current` : `${state.current} current for everyone`;
}
