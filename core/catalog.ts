import { ContractError, isRecord, show } from './errors.ts';

/** Stock states, as in the Google Merchant Center `availability` attribute. */
export const AVAILABILITY = ['in_stock', 'out_of_stock', 'preorder', 'backorder'] as const;
export type Availability = (typeof AVAILABILITY)[number];

/**
 * One product as the widget sees it. Field names follow the Merchant Center feed so a feed maps 1:1.
 * Copy and ranking may only state facts held here.
 */
export interface Product {
  /** Merchant's item id; the same string as GA4 `item_id`. */
  id: string;
  title: string;
  /** Absolute or shop-relative product page URL. */
  link: string;
  /** Absolute or shop-relative image URL. */
  image_link: string;
  /** Regular price in `currency`. */
  price: number;
  /** Present only when the product is on sale, lower than `price`. */
  sale_price?: number;
  currency: string;
  availability: Availability;
  /** Category path, most general first, e.g. `Beauty > Skin care`. */
  product_type: string;
  brand?: string;
  /** Units left, when the merchant shares it (drives "only N left" copy). */
  stock?: number;
}

export interface Catalog {
  /** ISO-8601 time the catalog was generated; lets caches tell versions apart. */
  updatedAt: string;
  products: Product[];
}

/** Top-level category of a product (`Beauty > Skin care` -> `Beauty`). */
export function topCategory(product: Pick<Product, 'product_type'>): string {
  return product.product_type.split('>')[0]!.trim();
}

function field<T>(raw: Record<string, unknown>, key: string, where: string, ok: (v: unknown) => v is T): T {
  const value = raw[key];
  if (!ok(value)) throw new ContractError('bad_catalog', `${where}: field "${key}" is invalid (got ${show(value)})`);
  return value;
}
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0 && v.length <= 2000;
const isPrice = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Validates one product, throwing a `ContractError` that names the product and field. */
export function parseProduct(raw: unknown, where = 'product'): Product {
  if (!isRecord(raw)) throw new ContractError('bad_catalog', `${where}: expected an object (got ${show(raw)})`);
  const id = field(raw, 'id', where, isText);
  const at = `${where} "${id}"`;
  if (!AVAILABILITY.includes(raw.availability as Availability)) {
    throw new ContractError('bad_catalog', `${at}: field "availability" must be one of ${AVAILABILITY.join(', ')} (got ${show(raw.availability)})`);
  }
  const availability = raw.availability as Availability;
  const product: Product = {
    id,
    title: field(raw, 'title', at, isText),
    link: field(raw, 'link', at, isText),
    image_link: field(raw, 'image_link', at, isText),
    price: field(raw, 'price', at, isPrice),
    currency: field(raw, 'currency', at, (v): v is string => typeof v === 'string' && /^[A-Z]{3}$/.test(v)),
    availability,
    product_type: field(raw, 'product_type', at, isText),
  };
  if (raw.sale_price !== undefined) product.sale_price = field(raw, 'sale_price', at, isPrice);
  if (raw.brand !== undefined) product.brand = field(raw, 'brand', at, isText);
  if (raw.stock !== undefined) {
    product.stock = field(raw, 'stock', at, (v): v is number => Number.isInteger(v) && (v as number) >= 0);
  }
  return product;
}

/** Validates a catalog document; duplicate ids are an error, since events could not be attributed. */
export function parseCatalog(raw: unknown): Catalog {
  if (!isRecord(raw) || !Array.isArray(raw.products)) {
    throw new ContractError('bad_catalog', 'catalog: expected {"updatedAt", "products": [...]}');
  }
  const seen = new Set<string>();
  const products = raw.products.map((p, i) => {
    const product = parseProduct(p, `catalog.products[${i}]`);
    if (seen.has(product.id)) throw new ContractError('bad_catalog', `catalog.products[${i}]: duplicate id "${product.id}"`);
    seen.add(product.id);
    return product;
  });
  const updatedAt = typeof raw.updatedAt === 'string' ? raw.updatedAt : new Date(0).toISOString();
  return { updatedAt, products };
}
