/**
 * The fixture shop's own catalog: "Fjellpine Outfitters", 58 outdoor products priced in EUR, nothing in
 * common with the demo shop. Written out as a Google Merchant Center TSV feed (`feedTsv`), which is how the
 * journeys upload it, exactly as a merchant's feed export would look: Merchant Center attribute names in
 * the header, `item_group_id` on the sizes of the jackets and boots, prices as `129.00 EUR`, a sale price,
 * out-of-stock variants, attributes EdgeRecs does not read (`description`, `size`, `gtin`, `condition`).
 */

export interface FixtureProduct {
  id: string;
  /** Merchant Center `item_group_id`: the sizes of one jacket or boot share it. */
  group?: string;
  title: string;
  brand: string;
  /** `product_type`, most general first. */
  type: string;
  price: number;
  sale?: number;
  size?: string;
  inStock: boolean;
}

interface Line {
  type: string;
  brand: string;
  /** Name and price of each product. */
  items: Array<[string, number]>;
}

/** Standalone products per product type; the shop's shoppers move between them (see `history.ts`). */
const LINES: Line[] = [
  { type: 'Outdoor > Backpacks', brand: 'Trailhead', items: [['Daypack 22 L', 69], ['Alpine Pack 38 L', 139], ['Trek Pack 55 L', 189], ['Hydration Vest 8 L', 89], ['Roll-top Dry Pack 30 L', 99]] },
  { type: 'Outdoor > Tents', brand: 'Fjellpine', items: [['Solo Trekking Tent', 229], ['Two-person Dome Tent', 289], ['Family Tunnel Tent', 449], ['Bivy Shelter', 159]] },
  { type: 'Outdoor > Sleeping bags', brand: 'Nordvik', items: [['Summer Sleeping Bag +10', 79], ['Three-season Down Bag', 249], ['Synthetic Bag -5', 149], ['Silk Liner', 39]] },
  { type: 'Outdoor > Sleeping mats', brand: 'Nordvik', items: [['Self-inflating Mat', 89], ['Closed-cell Foam Mat', 29], ['Insulated Air Mat', 129]] },
  { type: 'Outdoor > Stoves', brand: 'Emberline', items: [['Canister Stove', 49], ['Integrated Stove System', 139], ['Gas Canister 230 g', 7], ['Windscreen', 19]] },
  { type: 'Outdoor > Cookware', brand: 'Emberline', items: [['Titanium Pot 750 ml', 45], ['Two-pot Cook Set', 59], ['Spork', 9], ['Insulated Mug', 25], ['Collapsible Bowl', 14]] },
  { type: 'Outdoor > Headlamps', brand: 'Lumenfjord', items: [['Headlamp 350 lm', 39], ['Rechargeable Headlamp 600 lm', 69], ['Camp Lantern', 34]] },
  { type: 'Outdoor > Water', brand: 'Clearstream', items: [['Steel Bottle 1 L', 29], ['Squeeze Water Filter', 39], ['Water Bladder 2 L', 32], ['Purification Tablets', 12]] },
  { type: 'Outdoor > Navigation', brand: 'Kompass', items: [['Baseplate Compass', 35], ['Map Case', 22], ['GPS Watch', 299]] },
  { type: 'Outdoor > First aid', brand: 'Fieldkit', items: [['Trail First Aid Kit', 34], ['Blister Kit', 12], ['Emergency Bivvy Bag', 15]] },
  { type: 'Clothing > Socks', brand: 'Fjellpine', items: [['Merino Hiking Socks', 19], ['Liner Socks 2-pack', 15], ['Expedition Socks', 25]] },
];

/** Jackets and boots come in sizes: one `item_group_id` each, one row per size. */
const GROUPS: Array<{ group: string; title: string; brand: string; type: string; price: number; sizes: string[]; outOfStock?: string }> = [
  { group: 'JKT-FJELL', title: 'Fjell Shell Jacket', brand: 'Fjellpine', type: 'Clothing > Jackets', price: 249, sizes: ['S', 'M', 'L'], outOfStock: 'S' },
  { group: 'JKT-TIDE', title: 'Tidewater Rain Jacket', brand: 'Fjellpine', type: 'Clothing > Jackets', price: 159, sizes: ['S', 'M', 'L'] },
  { group: 'JKT-RIDGE', title: 'Ridge Down Jacket', brand: 'Nordvik', type: 'Clothing > Jackets', price: 289, sizes: ['S', 'M', 'L'] },
  { group: 'BOOT-GRANITE', title: 'Granite Hiking Boot', brand: 'Trailhead', type: 'Footwear > Boots', price: 189, sizes: ['42', '44'] },
  { group: 'SHOE-SCREE', title: 'Scree Trail Runner', brand: 'Trailhead', type: 'Footwear > Trail shoes', price: 139, sizes: ['42', '44'] },
];

/**
 * New this season: in the catalog, absent from every shopper's history (`history.ts` never emits them), so
 * the model has never seen them.
 */
export const NEW_ARRIVALS: FixtureProduct[] = [
  { id: 'FP-9001', title: 'Aurora Ultralight Tent', brand: 'Fjellpine', type: 'Outdoor > Tents', price: 399, inStock: true },
  { id: 'FP-9002', title: 'Kettle Pro 1.2 L', brand: 'Emberline', type: 'Outdoor > Cookware', price: 54, inStock: true },
  { id: 'FP-9003', title: 'Beacon Headlamp 900 lm', brand: 'Lumenfjord', type: 'Outdoor > Headlamps', price: 89, inStock: true },
];

/** A product shoppers bought last year that is no longer sold: in the history, not in the catalog. */
export const DISCONTINUED_ID = 'FP-0999';

function build(): FixtureProduct[] {
  const out: FixtureProduct[] = [];
  let n = 1001;
  for (const line of LINES) {
    for (const [name, price] of line.items) {
      const id = `FP-${n++}`;
      out.push({ id, title: `${line.brand} ${name}`, brand: line.brand, type: line.type, price, inStock: true });
    }
  }
  for (const g of GROUPS) {
    for (const size of g.sizes) {
      out.push({ id: `${g.group}-${size}`, group: g.group, title: `${g.title}, size ${size}`, brand: g.brand, type: g.type, price: g.price, size, inStock: size !== g.outOfStock });
    }
  }
  // A sale, so a price-drop line can be true.
  out.find((p) => p.title.endsWith('Alpine Pack 38 L'))!.sale = 119;
  return [...out, ...NEW_ARRIVALS];
}

/** Every product of the shop, in the feed's order. */
export const PRODUCTS: readonly FixtureProduct[] = build();

/** Products that shoppers of the training history interact with: everything but the new arrivals. */
export const HISTORY_PRODUCTS: readonly FixtureProduct[] = PRODUCTS.filter((p) => !NEW_ARRIVALS.includes(p));

export const PRODUCT_BY_ID: ReadonlyMap<string, FixtureProduct> = new Map(PRODUCTS.map((p) => [p.id, p]));

/** The shop's URL path of a product page. */
export const productPath = (id: string): string => `/p/${encodeURIComponent(id)}`;

/** URL-safe category slug of a `product_type` (`Outdoor > Sleeping bags` -> `sleeping-bags`). */
export const categorySlug = (type: string): string => type.split('>').at(-1)!.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-');

const money = (x: number): string => `${x.toFixed(2)} EUR`;

/**
 * The Merchant Center TSV feed of the shop, with absolute links on `origin` (Merchant Center requires
 * absolute URLs), as the shop's feed export writes it.
 */
export function feedTsv(origin: string): string {
  const header = ['id', 'item_group_id', 'title', 'description', 'link', 'image link', 'availability', 'price', 'sale_price', 'brand', 'product_type', 'google_product_category', 'size', 'condition', 'gtin'];
  const rows = PRODUCTS.map((p, i) => [
    p.id,
    p.group ?? '',
    p.title,
    `${p.title} by ${p.brand}. Built for long days outside.`,
    `${origin}${productPath(p.id)}`,
    `${origin}/img/${encodeURIComponent(p.id)}.svg`,
    p.inStock ? 'in stock' : 'out of stock',
    money(p.price),
    p.sale !== undefined ? money(p.sale) : '',
    p.brand,
    p.type,
    'Sporting Goods > Outdoor Recreation',
    p.size ?? '',
    'new',
    String(4006000000000 + i * 7),
  ]);
  return [header, ...rows].map((r) => r.join('\t')).join('\n') + '\n';
}
