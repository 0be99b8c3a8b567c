import { parseCatalog, topCategory, type Catalog, type Product } from '../core/catalog.ts';
import { rng } from '../core/random.ts';

/** One kind of product: a noun with its variants, a price band and what it is usually bought with. */
interface Kind {
  kind: string;
  names: string[];
  price: [number, number];
  /** Kinds (within any category) shoppers often pick next. */
  goesWith: string[];
}

interface Department {
  category: string;
  brands: string[];
  kinds: Kind[];
}

/** The demo shop's departments. Top-level categories are what `topCategory()` returns. */
const DEPARTMENTS: Department[] = [
  { category: 'Skin care', brands: ['Lumen', 'Dewpoint', 'Alba Botanica'], kinds: [
    { kind: 'cleanser', names: ['Gentle Gel Cleanser', 'Foaming Cleanser', 'Cleansing Balm'], price: [9, 24], goesWith: ['toner', 'moisturiser'] },
    { kind: 'toner', names: ['Hydrating Toner', 'Exfoliating Toner'], price: [12, 28], goesWith: ['serum', 'moisturiser'] },
    { kind: 'serum', names: ['Vitamin C Serum', 'Hyaluronic Serum', 'Niacinamide Serum'], price: [18, 48], goesWith: ['moisturiser', 'sunscreen'] },
    { kind: 'moisturiser', names: ['Daily Moisturiser', 'Rich Night Cream', 'Gel Moisturiser'], price: [14, 42], goesWith: ['sunscreen', 'serum'] },
    { kind: 'sunscreen', names: ['SPF 50 Fluid', 'Mineral SPF 30'], price: [11, 29], goesWith: ['cleanser'] },
  ] },
  { category: 'Hair care', brands: ['Strand & Co', 'Nordic Roots', 'Maré'], kinds: [
    { kind: 'shampoo', names: ['Volume Shampoo', 'Repair Shampoo', 'Scalp Care Shampoo'], price: [7, 22], goesWith: ['conditioner'] },
    { kind: 'conditioner', names: ['Silk Conditioner', 'Repair Conditioner'], price: [7, 22], goesWith: ['hair mask', 'hair oil'] },
    { kind: 'hair mask', names: ['Deep Repair Mask', 'Bond Mask'], price: [12, 32], goesWith: ['hair oil'] },
    { kind: 'hair oil', names: ['Argan Hair Oil', 'Lightweight Hair Oil'], price: [14, 34], goesWith: ['brush'] },
    { kind: 'brush', names: ['Paddle Brush', 'Detangling Brush'], price: [9, 26], goesWith: ['shampoo'] },
  ] },
  { category: 'Makeup', brands: ['Velvet Lab', 'Kiko Rosa', 'Pure Tint'], kinds: [
    { kind: 'foundation', names: ['Skin Tint', 'Matte Foundation', 'Glow Foundation'], price: [16, 44], goesWith: ['concealer', 'makeup sponge'] },
    { kind: 'concealer', names: ['Radiant Concealer', 'Full Cover Concealer'], price: [12, 30], goesWith: ['setting powder'] },
    { kind: 'setting powder', names: ['Translucent Powder', 'Blurring Powder'], price: [14, 34], goesWith: ['mascara'] },
    { kind: 'mascara', names: ['Lengthening Mascara', 'Volume Mascara'], price: [10, 28], goesWith: ['eyeliner'] },
    { kind: 'eyeliner', names: ['Liquid Eyeliner', 'Gel Pencil'], price: [8, 22], goesWith: ['lipstick'] },
    { kind: 'lipstick', names: ['Satin Lipstick', 'Lip Tint'], price: [11, 32], goesWith: ['makeup sponge'] },
    { kind: 'makeup sponge', names: ['Blending Sponge'], price: [5, 12], goesWith: ['foundation'] },
  ] },
  { category: 'Fragrance', brands: ['Maison Cèdre', 'Atelier Nord'], kinds: [
    { kind: 'eau de parfum', names: ['Amber Wood EdP', 'Fig Leaf EdP', 'Sea Salt EdP'], price: [45, 120], goesWith: ['body lotion', 'candle'] },
    { kind: 'body lotion', names: ['Scented Body Lotion', 'Body Butter'], price: [16, 38], goesWith: ['eau de parfum'] },
    { kind: 'candle', names: ['Scented Candle', 'Travel Candle'], price: [18, 48], goesWith: ['eau de parfum'] },
  ] },
  { category: 'Board games', brands: ['Meeple Works', 'Tabletop Forge', 'Red Dice'], kinds: [
    { kind: 'strategy game', names: ['Harbour Empires', 'Sky Railways', 'Ancient Trade'], price: [29, 69], goesWith: ['expansion', 'card sleeves'] },
    { kind: 'family game', names: ['Fox & Hen', 'Treasure Dash', 'Word Garden'], price: [15, 35], goesWith: ['party game'] },
    { kind: 'party game', names: ['Quick Draw', 'Secret Words', 'Fast Fibs'], price: [12, 28], goesWith: ['family game'] },
    { kind: 'expansion', names: ['Harbour Empires: New Shores', 'Sky Railways: Night Lines'], price: [18, 35], goesWith: ['card sleeves'] },
    { kind: 'card sleeves', names: ['Card Sleeves 100', 'Premium Sleeves 200'], price: [5, 14], goesWith: ['strategy game'] },
  ] },
  { category: 'Puzzles', brands: ['Piecewise', 'Kobo Puzzles'], kinds: [
    { kind: 'jigsaw', names: ['1000-Piece Alpine Lake', '1000-Piece City Lights', '500-Piece Garden', '2000-Piece World Map'], price: [14, 39], goesWith: ['puzzle mat', 'puzzle glue'] },
    { kind: 'puzzle mat', names: ['Roll-up Puzzle Mat', 'Puzzle Board'], price: [15, 45], goesWith: ['puzzle glue'] },
    { kind: 'puzzle glue', names: ['Puzzle Glue'], price: [6, 12], goesWith: ['jigsaw'] },
    { kind: 'brain teaser', names: ['Metal Brain Teaser', 'Wooden Cube'], price: [8, 22], goesWith: ['jigsaw'] },
  ] },
  { category: 'Building toys', brands: ['Brickfield', 'Stackit'], kinds: [
    { kind: 'building set', names: ['Space Station Set', 'Harbour Town Set', 'Race Car Set', 'Castle Set'], price: [19, 89], goesWith: ['minifigure pack', 'storage box'] },
    { kind: 'minifigure pack', names: ['Minifigure Pack', 'Crew Pack'], price: [6, 16], goesWith: ['building set'] },
    { kind: 'storage box', names: ['Brick Storage Box', 'Sorting Trays'], price: [12, 30], goesWith: ['baseplate'] },
    { kind: 'baseplate', names: ['Green Baseplate', 'Grey Baseplate'], price: [7, 15], goesWith: ['building set'] },
  ] },
  { category: 'Outdoor play', brands: ['Sunny Yard', 'Trailkid'], kinds: [
    { kind: 'ball', names: ['Football', 'Beach Ball', 'Basketball'], price: [8, 30], goesWith: ['pump'] },
    { kind: 'pump', names: ['Ball Pump'], price: [5, 12], goesWith: ['ball'] },
    { kind: 'kite', names: ['Stunt Kite', 'Delta Kite'], price: [15, 45], goesWith: ['kite line'] },
    { kind: 'kite line', names: ['Kite Line 50 m'], price: [6, 12], goesWith: ['kite'] },
    { kind: 'scooter', names: ['Kick Scooter', 'Three-Wheel Scooter'], price: [39, 99], goesWith: ['helmet'] },
    { kind: 'helmet', names: ['Kids Helmet'], price: [19, 39], goesWith: ['scooter'] },
  ] },
  { category: 'Kitchen', brands: ['Ferro', 'Oak & Ash', 'Kitchenwise'], kinds: [
    { kind: 'pan', names: ['Cast Iron Skillet', 'Non-stick Pan', 'Carbon Steel Wok'], price: [24, 79], goesWith: ['spatula', 'oven mitts'] },
    { kind: 'knife', names: ["Chef's Knife", 'Paring Knife', 'Bread Knife'], price: [19, 89], goesWith: ['cutting board', 'knife sharpener'] },
    { kind: 'cutting board', names: ['Oak Cutting Board', 'Bamboo Board'], price: [14, 49], goesWith: ['knife'] },
    { kind: 'knife sharpener', names: ['Whetstone', 'Pull-through Sharpener'], price: [12, 39], goesWith: ['knife'] },
    { kind: 'spatula', names: ['Silicone Spatula', 'Fish Slice'], price: [6, 16], goesWith: ['pan'] },
    { kind: 'oven mitts', names: ['Linen Oven Mitts'], price: [9, 19], goesWith: ['pan'] },
  ] },
  { category: 'Coffee & tea', brands: ['Roastwell', 'Kettle & Leaf', 'Brewhaus'], kinds: [
    { kind: 'coffee beans', names: ['Espresso Roast Beans', 'Ethiopia Single Origin', 'Decaf House Blend', 'Colombia Medium Roast'], price: [9, 24], goesWith: ['grinder', 'mug'] },
    { kind: 'grinder', names: ['Burr Grinder', 'Hand Grinder'], price: [29, 129], goesWith: ['coffee beans', 'pour-over'] },
    { kind: 'pour-over', names: ['Pour-over Dripper', 'Glass Carafe Set'], price: [15, 45], goesWith: ['filters', 'kettle'] },
    { kind: 'filters', names: ['Paper Filters 100'], price: [4, 9], goesWith: ['coffee beans'] },
    { kind: 'kettle', names: ['Gooseneck Kettle', 'Electric Kettle'], price: [29, 89], goesWith: ['loose tea', 'pour-over'] },
    { kind: 'loose tea', names: ['Sencha Green Tea', 'Earl Grey', 'Chamomile'], price: [6, 18], goesWith: ['teapot', 'mug'] },
    { kind: 'teapot', names: ['Cast Iron Teapot', 'Glass Teapot'], price: [19, 59], goesWith: ['loose tea'] },
    { kind: 'mug', names: ['Stoneware Mug', 'Double-wall Glass'], price: [8, 22], goesWith: ['coffee beans'] },
  ] },
];

const VARIANTS = ['', 'Travel Size', 'Limited Edition', 'Family Pack', 'Refill', 'Deluxe'];

interface Built {
  catalog: Catalog;
  kindOf: Map<string, string>;
  byKind: Map<string, string[]>;
}

let built: Built | undefined;

/** Rounds to a shop-like price ending in .49 / .99. */
function shopPrice(x: number): number {
  return Math.max(1, Math.floor(x)) + (x % 1 < 0.5 ? 0.49 : 0.99);
}

function build(): Built {
  const random = rng(20261124);
  const products: Product[] = [];
  const kindOf = new Map<string, string>();
  const byKind = new Map<string, string[]>();
  let n = 0;
  for (const dept of DEPARTMENTS) {
    // Each department gets ~24 products: every kind/name pair once, then variants by brand.
    const base = dept.kinds.flatMap((k) => k.names.map((name) => ({ k, name })));
    const count = Math.max(24, base.length);
    for (let i = 0; i < count; i++) {
      const { k, name } = base[i % base.length]!;
      const brand = dept.brands[Math.floor(i / base.length + i) % dept.brands.length]!;
      const variant = i < base.length ? '' : VARIANTS[1 + (i % (VARIANTS.length - 1))]!;
      const id = `sku-${String(++n).padStart(4, '0')}`;
      const price = shopPrice(k.price[0] + random() * (k.price[1] - k.price[0]));
      const r = random();
      const product: Product = {
        id,
        title: `${brand} ${name}${variant ? ` (${variant})` : ''}`,
        link: `/p/${id}`,
        image_link: `/demo/img/${id}.svg`,
        price,
        currency: 'EUR',
        availability: r < 0.05 ? 'out_of_stock' : r < 0.07 ? 'backorder' : 'in_stock',
        product_type: `${dept.category} > ${k.kind[0]!.toUpperCase()}${k.kind.slice(1)}`,
        brand,
      };
      if (random() < 0.15) product.sale_price = shopPrice(price * (0.7 + random() * 0.2));
      if (product.availability === 'in_stock' && random() < 0.1) product.stock = 1 + Math.floor(random() * 5);
      products.push(product);
      kindOf.set(id, k.kind);
      byKind.set(k.kind, [...(byKind.get(k.kind) ?? []), id]);
    }
  }
  const catalog = parseCatalog({ updatedAt: '2026-11-24T00:00:00.000Z', products });
  return { catalog, kindOf, byKind };
}

function data(): Built {
  built ??= build();
  return built;
}

/** The demo shop's catalog: 240 products in 10 categories, the same on every run. */
export function demoCatalog(): Catalog {
  return data().catalog;
}

/** Top-level categories in shop order. */
export function demoCategories(): string[] {
  return [...new Set(demoCatalog().products.map(topCategory))];
}

/** URL slug of a category (`Coffee & tea` -> `coffee-tea`). */
export function categorySlug(category: string): string {
  return category.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Products usually bought with `productId` ("goes with"), e.g. shampoo -> conditioners. */
export function complements(productId: string): string[] {
  const { kindOf, byKind } = data();
  const kind = kindOf.get(productId);
  if (!kind) return [];
  const goesWith = DEPARTMENTS.flatMap((d) => d.kinds).find((k) => k.kind === kind)?.goesWith ?? [];
  return goesWith.flatMap((k) => byKind.get(k) ?? []);
}
