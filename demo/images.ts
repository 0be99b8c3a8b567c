/**
 * Product images drawn on the server: the demo ships no photos and downloads none. Each image is the
 * category's gradient and pictogram with the product's initials, varied per product so a grid of one
 * category does not look like one image repeated.
 */
import { topCategory, type Product } from '../core/catalog.ts';
import { categoryInfo } from './categories.ts';
import { html } from './markup.ts';

/** FNV-1a: a stable per-product number for the layout variations, the same on every run and runtime. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Rotates a `#rrggbb` colour's hue by `degrees`, keeping its lightness and saturation (HSL). */
export function shiftHue(hex: string, degrees: number): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  const d = max - min;
  if (d === 0) return hex;
  const s = d / (1 - Math.abs(2 * l - 1));
  const h0 = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  const h = (((h0 * 60 + degrees) % 360) + 360) % 360;
  // HSL -> RGB, https://www.w3.org/TR/css-color-4/#hsl-to-rgb
  const channel = (n: number): string => {
    const k = (n + h / 30) % 12;
    const v = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255).toString(16).padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/**
 * Two letters for the image badge, from the product name without the brand ("Lumen Vitamin C Serum" ->
 * "VC"); words that start with a digit ("1000-Piece") are skipped since they read as noise.
 */
export function initials(product: Pick<Product, 'title' | 'brand'>): string {
  let name = product.title;
  if (product.brand && name.startsWith(`${product.brand} `)) name = name.slice(product.brand.length + 1);
  const letters = name
    .split(/[\s:&/-]+/)
    .map((word) => /^\p{L}/u.exec(word)?.[0] ?? '')
    .filter(Boolean);
  return (letters.slice(0, 2).join('') || '?').toUpperCase();
}

/**
 * A product image as a standalone SVG document (about 1.5 KB): category colours and pictogram, the
 * brand and the product's initials. Every text is escaped; the title is the accessible name.
 *
 * @example productSvg(product) // '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 240" ...'
 */
export function productSvg(product: Product): string {
  const look = categoryInfo(topCategory(product));
  const h = hash(product.id);
  // Gradient ids are document-wide when an SVG is inlined; a per-product id keeps two from clashing.
  const gradient = `g-${product.id.replace(/[^\w-]/g, '_')}`;
  const turn = h % 4;
  const [x1, y1, x2, y2] = [[0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 1, 0], [0, 0, 0, 1]][turn]!;
  const bubble = { cx: 40 + ((h >>> 4) % 160), cy: 30 + ((h >>> 12) % 60), r: 46 + ((h >>> 20) % 40) };
  const tilt = ((h >>> 8) % 9) - 4;
  // Neighbouring hues of the category colour: a row of one category's products still looks varied.
  const hue = ((h >>> 24) % 3) * 14 - 14;
  const [light, mid] = [shiftHue(look.light, hue), shiftHue(look.mid, hue)];
  const badge = initials(product);
  const brand = (product.brand ?? '').toUpperCase();
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 240" width="240" height="240" role="img" aria-label="${product.title}">
<title>${product.title}</title>
<defs><linearGradient id="${gradient}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"><stop offset="0" stop-color="${light}"/><stop offset="1" stop-color="${mid}"/></linearGradient></defs>
<rect width="240" height="240" fill="url(#${gradient})"/>
<circle cx="${bubble.cx}" cy="${bubble.cy}" r="${bubble.r}" fill="#fff" fill-opacity=".35"/>
<circle cx="${240 - bubble.cx / 2}" cy="${200 - bubble.cy / 3}" r="${bubble.r / 2}" fill="${look.ink}" fill-opacity=".06"/>
<ellipse cx="120" cy="184" rx="60" ry="8" fill="${look.ink}" fill-opacity=".12"/>
<g color="${look.ink}" transform="translate(120 112) rotate(${tilt}) scale(1.45) translate(-50 -50)">${look.icon}</g>
${brand && html`<text x="18" y="30" font-family="system-ui,-apple-system,'Segoe UI',Roboto,sans-serif" font-size="11" font-weight="600" letter-spacing="1.5" fill="${look.ink}" fill-opacity=".7">${brand}</text>`}
<rect x="16" y="196" width="${18 + badge.length * 14}" height="28" rx="14" fill="#fff" fill-opacity=".85"/>
<text x="${25 + badge.length * 7}" y="215" text-anchor="middle" font-family="system-ui,-apple-system,'Segoe UI',Roboto,sans-serif" font-size="14" font-weight="700" fill="${look.ink}">${badge}</text>
</svg>`.value;
}
