import { topCategory, type Product } from '../core/catalog.ts';

/** Colour pair per category, so the grid reads at a glance without any downloaded imagery. */
const PALETTE: Record<string, [string, string]> = {
  'Skin care': ['#fde2e4', '#f4a6b4'],
  'Hair care': ['#e2ece9', '#8cc3b3'],
  Makeup: ['#fbe7f3', '#d980b5'],
  Fragrance: ['#efe7fb', '#a98ad9'],
  'Board games': ['#fff1d6', '#f2b54b'],
  Puzzles: ['#dff3ff', '#6fb6e6'],
  'Building toys': ['#ffe3d6', '#f2784b'],
  'Outdoor play': ['#e4f7da', '#79c257'],
  Kitchen: ['#ececec', '#9a9a9a'],
  'Coffee & tea': ['#f1e6dc', '#a97a55'],
};

/** A simple pictogram per category, drawn in a 200x200 box. */
const SHAPES: Record<string, string> = {
  'Skin care': '<rect x="78" y="60" width="44" height="84" rx="10"/><rect x="88" y="44" width="24" height="18" rx="4"/>',
  'Hair care': '<rect x="72" y="58" width="56" height="90" rx="18"/><rect x="90" y="40" width="20" height="20" rx="3"/>',
  Makeup: '<rect x="86" y="92" width="28" height="56" rx="4"/><path d="M88 92 L100 48 L112 92 Z"/>',
  Fragrance: '<rect x="66" y="76" width="68" height="72" rx="14"/><rect x="90" y="52" width="20" height="26"/>',
  'Board games': '<rect x="56" y="56" width="88" height="88" rx="12"/><circle cx="80" cy="80" r="7" fill="#fff"/><circle cx="120" cy="120" r="7" fill="#fff"/><circle cx="100" cy="100" r="7" fill="#fff"/>',
  Puzzles: '<path d="M60 60h30a10 10 0 1 1 20 0h30v30a10 10 0 1 0 0 20v30h-30a10 10 0 1 1-20 0H60v-30a10 10 0 1 0 0-20z"/>',
  'Building toys': '<rect x="56" y="84" width="88" height="52" rx="6"/><rect x="66" y="70" width="20" height="16" rx="3"/><rect x="114" y="70" width="20" height="16" rx="3"/>',
  'Outdoor play': '<circle cx="100" cy="100" r="44"/><path d="M56 100h88M100 56v88" stroke="#fff" stroke-width="5"/>',
  Kitchen: '<circle cx="92" cy="104" r="38"/><rect x="128" y="98" width="48" height="12" rx="6"/>',
  'Coffee & tea': '<path d="M60 80h72v38a30 30 0 0 1-30 30h-12a30 30 0 0 1-30-30z"/><path d="M132 92h10a14 14 0 0 1 0 28h-10" fill="none" stroke-width="8"/>',
};

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A locally drawn product image: category colours and pictogram, brand initials, no external assets. */
export function productSvg(product: Product): string {
  const category = topCategory(product);
  const [light, dark] = PALETTE[category] ?? ['#eeeeee', '#888888'];
  const shape = SHAPES[category] ?? '<circle cx="100" cy="100" r="44"/>';
  const initials = (product.brand ?? product.title)
    .split(/\s+/)
    .map((w) => w[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase();
  const gradient = `g-${product.id.replace(/[^\w-]/g, '')}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" role="img" aria-label="${escapeXml(product.title)}">
<defs><linearGradient id="${gradient}" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${light}"/><stop offset="1" stop-color="#ffffff"/></linearGradient></defs>
<rect width="200" height="200" fill="url(#${gradient})"/>
<g fill="${dark}" stroke="${dark}">${shape}</g>
<text x="100" y="184" text-anchor="middle" font-family="system-ui, sans-serif" font-size="16" font-weight="700" fill="${dark}">${escapeXml(initials)}</text>
</svg>`;
}
