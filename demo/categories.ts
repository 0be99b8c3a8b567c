/**
 * The demo shop's departments and how each looks: name, URL slug, a one-line pitch, colours and a
 * pictogram. Shared by the catalog, the drawn product images and the shop front-end, so a category is
 * spelled and coloured the same everywhere. Small on purpose: the front-end bundles it.
 */
import { trusted, type Markup } from './markup.ts';

export interface CategoryInfo {
  /** Top-level category as `topCategory()` returns it, e.g. `Coffee & tea`. */
  name: string;
  /** URL segment of the category page: `/c/<slug>`. */
  slug: string;
  /** One line for the category tile and page header. */
  tagline: string;
  /** Gradient start and end behind product images and tiles. */
  light: string;
  mid: string;
  /** Pictogram and text colour; dark enough for 4.5:1 contrast on `light`. */
  ink: string;
  /**
   * Pictogram in a 100x100 box, drawn with `currentColor` (set it with `color` on a wrapper) and white
   * highlights, so one drawing serves every colour scheme.
   */
  icon: Markup;
}

/** URL slug of a category name (`Coffee & tea` -> `coffee-tea`). */
export function categorySlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

const HIGHLIGHT = 'fill="#fff" fill-opacity=".55"';

function category(name: string, tagline: string, [light, mid, ink]: [string, string, string], icon: string): CategoryInfo {
  return { name, slug: categorySlug(name), tagline, light, mid, ink, icon: trusted(icon) };
}

/** Departments in shop order (navigation, home tiles, catalog build). */
export const DEMO_CATEGORIES: readonly CategoryInfo[] = [
  category('Skin care', 'Cleansers, serums and everyday SPF', ['#fdecea', '#f7c6c0', '#a8323f'],
    `<rect x="33" y="40" width="34" height="50" rx="9" fill="currentColor"/><rect x="43" y="27" width="14" height="14" rx="2" fill="currentColor"/>` +
    `<rect x="38" y="18" width="26" height="9" rx="3" fill="currentColor"/><rect x="62" y="20" width="12" height="5" rx="2" fill="currentColor"/>` +
    `<rect x="40" y="54" width="20" height="22" rx="4" ${HIGHLIGHT}/>`),
  category('Hair care', 'Wash, care and style, salon-grade at home', ['#e4f5ef', '#bfe5d8', '#17695a'],
    `<path d="M16 42a12 12 0 0 1 12-12h10a12 12 0 0 1 12 12v42a6 6 0 0 1-6 6H22a6 6 0 0 1-6-6z" fill="currentColor"/>` +
    `<rect x="24" y="16" width="18" height="14" rx="3" fill="currentColor"/><rect x="22" y="50" width="22" height="22" rx="4" ${HIGHLIGHT}/>` +
    `<rect x="60" y="14" width="12" height="76" rx="5" fill="currentColor"/>` +
    `<path d="M72 22h12M72 30h12M72 38h12M72 46h12M72 54h12M72 62h12M72 70h12M72 78h12" stroke="currentColor" stroke-width="4" stroke-linecap="round"/>`),
  category('Makeup', 'Base, eyes and lips for every day and night', ['#fdeaf4', '#f5c3de', '#9c2f6b'],
    `<rect x="34" y="58" width="32" height="32" rx="5" fill="currentColor"/><rect x="38" y="44" width="24" height="15" rx="2" fill="currentColor" fill-opacity=".75"/>` +
    `<path d="M41 44V24l18-11v31z" fill="currentColor"/><rect x="40" y="64" width="5" height="20" rx="2.5" ${HIGHLIGHT}/>`),
  category('Fragrance', 'Perfume, body care and scents for the home', ['#f0ebfb', '#d8cbf4', '#5b3fa8'],
    `<rect x="24" y="40" width="52" height="50" rx="13" fill="currentColor"/><rect x="42" y="28" width="16" height="13" fill="currentColor"/>` +
    `<rect x="35" y="11" width="30" height="18" rx="5" fill="currentColor"/><rect x="35" y="53" width="30" height="24" rx="6" ${HIGHLIGHT}/>`),
  category('Board games', 'Strategy, family and party games', ['#fff4dc', '#fbd98f', '#8a5200'],
    `<g transform="rotate(-10 38 58)"><rect x="12" y="32" width="52" height="52" rx="11" fill="currentColor"/>` +
    `<g fill="#fff" fill-opacity=".9"><circle cx="26" cy="46" r="5"/><circle cx="50" cy="46" r="5"/><circle cx="38" cy="58" r="5"/>` +
    `<circle cx="26" cy="70" r="5"/><circle cx="50" cy="70" r="5"/></g></g>` +
    `<circle cx="78" cy="30" r="9" fill="currentColor"/><path d="M71 80l3-38h8l3 38z" fill="currentColor"/><rect x="66" y="78" width="24" height="9" rx="3" fill="currentColor"/>`),
  category('Puzzles', 'Jigsaws, brain teasers and everything to frame them', ['#e3f1fc', '#b7daf5', '#17609c'],
    `<path d="M20 26h22a9 9 0 1 1 16 0h22v22a9 9 0 1 0 0 16v22H58a9 9 0 1 0-16 0H20V64a9 9 0 1 1 0-16z" fill="currentColor"/>` +
    `<path d="M28 34h10v10H28z" ${HIGHLIGHT}/>`),
  category('Building toys', 'Sets, bricks and storage for young builders', ['#ffe9df', '#ffc4aa', '#b23c12'],
    `<rect x="12" y="42" width="76" height="42" rx="6" fill="currentColor"/>` +
    `<rect x="20" y="29" width="16" height="14" rx="3" fill="currentColor"/><rect x="42" y="29" width="16" height="14" rx="3" fill="currentColor"/>` +
    `<rect x="64" y="29" width="16" height="14" rx="3" fill="currentColor"/><rect x="19" y="49" width="62" height="6" rx="3" ${HIGHLIGHT}/>`),
  category('Outdoor play', 'Balls, kites and ride-ons for sunny days', ['#eaf7df', '#c5e9a6', '#2f6b12'],
    `<path d="M50 8l30 34-30 34-30-34z" fill="currentColor"/><path d="M50 8v68M20 42h60" stroke="#fff" stroke-opacity=".6" stroke-width="3"/>` +
    `<path d="M50 76c-8 5 8 9 0 14" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round"/>` +
    `<path d="M40 82l8 3-8 3zM60 88l-8-3 8-3z" fill="currentColor"/>`),
  category('Kitchen', 'Pans, knives and boards that last', ['#eef1f5', '#d2d9e2', '#3b4a60'],
    `<circle cx="40" cy="52" r="29" fill="currentColor"/><circle cx="40" cy="52" r="20" fill="#fff" fill-opacity=".25"/>` +
    `<rect x="64" y="47" width="32" height="10" rx="5" fill="currentColor"/>`),
  category('Coffee & tea', 'Beans, brewers and loose-leaf tea', ['#f6ede4', '#e6cdb5', '#6e3f1f'],
    `<path d="M16 40h54v18a24 24 0 0 1-24 24h-6a24 24 0 0 1-24-24z" fill="currentColor"/>` +
    `<path d="M70 46h4a10 10 0 0 1 0 20h-7" fill="none" stroke="currentColor" stroke-width="6"/>` +
    `<rect x="10" y="85" width="70" height="6" rx="3" fill="currentColor"/>` +
    `<path d="M34 31c-5-6 5-10 0-17M50 31c-5-6 5-10 0-17" fill="none" stroke="currentColor" stroke-width="4" stroke-linecap="round" stroke-opacity=".6"/>`),
];

const BY_NAME = new Map(DEMO_CATEGORIES.map((c) => [c.name, c]));

/** Look of a category; a category the demo does not know (a merchant's own feed) gets a neutral one. */
export function categoryInfo(name: string): CategoryInfo {
  return (
    BY_NAME.get(name) ??
    category(name, '', ['#f1f2f4', '#dcdfe4', '#3f4652'], `<rect x="22" y="22" width="56" height="56" rx="14" fill="currentColor"/>`)
  );
}
