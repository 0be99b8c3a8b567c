/** Which parser a catalog upload's `Content-Type` picks (`PUT /v1/admin/catalog`). */
import type { FeedFormat } from '../../core/catalog-feed.ts';

/**
 * The feed format a `Content-Type` names: `text/tab-separated-values` (or `text/tsv`) -> tsv;
 * `application/xml`, `text/xml`, `application/rss+xml`, `application/atom+xml` -> xml; anything else null.
 */
export function feedFormatOf(contentType: string | undefined): FeedFormat | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/tab-separated-values' || type === 'text/tsv') return 'tsv';
  if (/^(application|text)\/((rss|atom)\+)?xml$/.test(type)) return 'xml';
  return null;
}
