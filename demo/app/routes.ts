/**
 * The shop's URLs, parsed in one place: the server serves the page for these paths and the app renders
 * them. Pure functions, testable in Node.
 */

export const SORTS = ['featured', 'price-asc', 'price-desc'] as const;
export type Sort = (typeof SORTS)[number];

export type Route =
  | { page: 'home' }
  /** `/c/<slug>?type=<type slug>&sort=<sort>`: a category, optionally narrowed to one product type. */
  | { page: 'category'; slug: string; type: string | null; sort: Sort }
  | { page: 'product'; id: string }
  | { page: 'cart' }
  | { page: 'not-found' };

function segment(text: string): string | null {
  try {
    const value = decodeURIComponent(text);
    return value.length > 0 && value.length <= 128 ? value : null;
  } catch {
    return null;
  }
}

/**
 * The route of a shop URL (path and query).
 *
 * @example parseRoute('/c/skin-care?sort=price-asc') // { page: 'category', slug: 'skin-care', type: null, sort: 'price-asc' }
 */
export function parseRoute(url: string | URL): Route {
  const { pathname, searchParams } = new URL(url, 'http://shop.invalid');
  const parts = pathname.split('/').slice(1);
  if (pathname === '/') return { page: 'home' };
  if (pathname === '/cart') return { page: 'cart' };
  if (parts.length === 2 && parts[0] === 'p') {
    const id = segment(parts[1]!);
    return id ? { page: 'product', id } : { page: 'not-found' };
  }
  if (parts.length === 2 && parts[0] === 'c') {
    const slug = segment(parts[1]!);
    const sort = searchParams.get('sort');
    if (!slug) return { page: 'not-found' };
    return { page: 'category', slug, type: searchParams.get('type') || null, sort: SORTS.includes(sort as Sort) ? (sort as Sort) : 'featured' };
  }
  return { page: 'not-found' };
}

/**
 * Whether a same-origin path belongs to the shop (rendered in-app) rather than to the server (`/v1/...`,
 * `/widget/...`, images), which must be left to a normal page load.
 */
export function isShopPath(pathname: string): boolean {
  return pathname === '/' || pathname === '/cart' || /^\/[cp]\/[^/]+$/.test(pathname);
}

/** URL of a category page; `featured` order and "all types" are the defaults and stay out of the URL. */
export function categoryUrl(slug: string, options: { type?: string | null; sort?: Sort } = {}): string {
  const query = new URLSearchParams();
  if (options.type) query.set('type', options.type);
  if (options.sort && options.sort !== 'featured') query.set('sort', options.sort);
  const q = query.toString();
  return `/c/${encodeURIComponent(slug)}${q ? `?${q}` : ''}`;
}
