/**
 * The demo shop's catalog: 240 products in 10 departments, generated from a seed so every run, test and
 * trained model sees the same shop. Nothing here is downloaded; the products are made up.
 */
import { parseCatalog, type Availability, type Catalog, type Product } from '../core/catalog.ts';
import { rng, shuffle } from '../core/random.ts';
import { DEMO_CATEGORIES } from './categories.ts';

/** One product type (the second level of `product_type`) and what shoppers buy with it. */
interface ProductType {
  /** `product_type` second level, e.g. `Conditioners`; unique across the shop, `goesWith` refers to it. */
  type: string;
  /** Product names without the brand, in the order the shop sells them (bestseller first). */
  names: string[];
  /** Regular price range in EUR. */
  price: [number, number];
  /** Types, in any department, shoppers often pick next: shampoo -> conditioner. */
  goesWith: string[];
  /** Brands making this type; the department's brands otherwise. */
  brands?: string[];
}

interface Department {
  category: string;
  brands: string[];
  /** Board games are sold by name ("Harbour Empires"), not as "Meeple Works Harbour Empires". */
  brandInTitle: boolean;
  types: ProductType[];
}

const DEPARTMENTS: Department[] = [
  { category: 'Skin care', brands: ['Lumen', 'Dewpoint', 'Alba Botanica', 'Nordlys'], brandInTitle: true, types: [
    { type: 'Cleansers', names: ['Gentle Gel Cleanser 150 ml', 'Oat Milk Cleansing Balm', 'Foaming Face Wash 200 ml', 'Micellar Water 400 ml'], price: [9, 26], goesWith: ['Toners', 'Moisturisers'] },
    { type: 'Toners', names: ['Hydrating Rose Toner', 'Exfoliating AHA Toner', 'Calming Essence'], price: [11, 28], goesWith: ['Serums'] },
    { type: 'Serums', names: ['Vitamin C Brightening Serum', 'Hyaluronic Acid Serum', 'Niacinamide 10% Serum', 'Retinol Night Serum'], price: [16, 49], goesWith: ['Moisturisers', 'Eye care'] },
    { type: 'Moisturisers', names: ['Daily Light Moisturiser', 'Rich Repair Night Cream', 'Oil-free Gel Cream', 'Ceramide Barrier Cream'], price: [14, 44], goesWith: ['Sun care', 'Serums'] },
    { type: 'Eye care', names: ['Caffeine Eye Cream', 'Peptide Eye Balm'], price: [15, 38], goesWith: ['Serums'] },
    { type: 'Sun care', names: ['Invisible Fluid SPF 50', 'Mineral Sunscreen SPF 30', 'Tinted Daily SPF 30', 'Sun Stick SPF 50'], price: [9, 29], goesWith: ['Moisturisers'] },
    { type: 'Face masks', names: ['Clay Detox Mask', 'Overnight Sleeping Mask', 'Sheet Mask 5-Pack'], price: [6, 24], goesWith: ['Cleansers', 'Serums'] },
  ] },
  { category: 'Hair care', brands: ['Strand & Co', 'Nordic Roots', 'Maré', 'Curl Theory'], brandInTitle: true, types: [
    { type: 'Shampoos', names: ['Volume Shampoo 250 ml', 'Repair Shampoo 250 ml', 'Scalp Care Shampoo', 'Colour Protect Shampoo', 'Solid Shampoo Bar'], price: [7, 22], goesWith: ['Conditioners'] },
    { type: 'Conditioners', names: ['Silk Conditioner 250 ml', 'Repair Conditioner 250 ml', 'Leave-in Conditioner Spray', 'Colour Protect Conditioner'], price: [7, 24], goesWith: ['Hair masks', 'Hair oils'] },
    { type: 'Hair masks', names: ['Deep Repair Mask', 'Bond Building Mask', 'Coconut Hydration Mask'], price: [12, 32], goesWith: ['Hair oils'] },
    { type: 'Hair oils', names: ['Argan Hair Oil', 'Lightweight Shine Oil'], price: [14, 36], goesWith: ['Brushes & combs'] },
    { type: 'Styling', names: ['Heat Protect Spray', 'Curl Defining Cream', 'Sea Salt Texture Spray'], price: [9, 26], goesWith: ['Hair tools'] },
    { type: 'Hair tools', names: ['Ionic Hair Dryer', 'Ceramic Straightener', 'Hot Air Brush'], price: [39, 149], goesWith: ['Styling'] },
    { type: 'Brushes & combs', names: ['Paddle Brush', 'Detangling Brush', 'Wide-tooth Comb', 'Boar Bristle Brush'], price: [8, 29], goesWith: ['Shampoos'] },
  ] },
  { category: 'Makeup', brands: ['Velvet Lab', 'Kiko Rosa', 'Pure Tint'], brandInTitle: true, types: [
    { type: 'Foundations', names: ['Skin Tint SPF 20', 'Matte Foundation', 'Glow Foundation'], price: [16, 44], goesWith: ['Concealers', 'Primers', 'Makeup tools'] },
    { type: 'Primers', names: ['Pore Blur Primer', 'Hydrating Primer'], price: [14, 34], goesWith: ['Foundations'] },
    { type: 'Concealers', names: ['Radiant Concealer', 'Full Cover Concealer'], price: [12, 30], goesWith: ['Powders & setting'] },
    { type: 'Powders & setting', names: ['Translucent Setting Powder', 'Setting Spray'], price: [14, 34], goesWith: ['Blush & bronzer'] },
    { type: 'Blush & bronzer', names: ['Cream Blush', 'Powder Bronzer'], price: [12, 32], goesWith: ['Makeup tools'] },
    { type: 'Mascaras', names: ['Lengthening Mascara', 'Volume Mascara', 'Waterproof Mascara'], price: [10, 28], goesWith: ['Eyeliners', 'Eyeshadow'] },
    { type: 'Eyeliners', names: ['Liquid Eyeliner', 'Kohl Pencil'], price: [8, 22], goesWith: ['Eyeshadow'] },
    { type: 'Eyeshadow', names: ['Nude Eyeshadow Palette', 'Sunset Eyeshadow Palette'], price: [18, 46], goesWith: ['Mascaras', 'Makeup tools'] },
    { type: 'Lips', names: ['Satin Lipstick', 'Velvet Matte Lipstick', 'Tinted Lip Oil'], price: [9, 30], goesWith: ['Blush & bronzer'] },
    // Makeup comes off with a cleanser: the one link from makeup into skin care.
    { type: 'Makeup tools', names: ['Blending Sponge', 'Brush Set 8-Piece', 'Brush Cleanser'], price: [5, 39], goesWith: ['Foundations', 'Cleansers'] },
  ] },
  { category: 'Fragrance', brands: ['Maison Cèdre', 'Atelier Nord', 'Lune & Sel'], brandInTitle: true, types: [
    { type: 'Eau de parfum', names: ['Amber Wood Eau de Parfum 50 ml', 'Fig Leaf Eau de Parfum 50 ml', 'Sea Salt & Sage Eau de Parfum 50 ml', 'White Tea Eau de Parfum 100 ml', 'Oud Noir Eau de Parfum 100 ml', 'Neroli Blossom Eau de Parfum 30 ml', 'Rose Poivre Eau de Parfum 50 ml'], price: [45, 139], goesWith: ['Body care', 'Travel sizes'] },
    { type: 'Eau de toilette', names: ['Citrus Vetiver Eau de Toilette 100 ml', 'Fresh Linen Eau de Toilette 50 ml', 'Green Fig Eau de Toilette 50 ml'], price: [29, 79], goesWith: ['Body care'] },
    { type: 'Travel sizes', names: ['Discovery Set 6 × 2 ml', 'Refillable Travel Atomiser', 'Rollerball 10 ml'], price: [12, 39], goesWith: ['Eau de parfum'] },
    { type: 'Body care', names: ['Scented Body Lotion', 'Body Butter', 'Shower Oil', 'Hand Cream'], price: [14, 38], goesWith: ['Eau de parfum', 'Home fragrance'] },
    { type: 'Home fragrance', names: ['Scented Candle 200 g', 'Travel Candle 80 g', 'Reed Diffuser 100 ml', 'Room Spray', 'Incense Sticks'], price: [16, 54], goesWith: ['Candle care'] },
    { type: 'Candle care', names: ['Wick Trimmer', 'Candle Snuffer'], price: [9, 22], goesWith: ['Home fragrance'] },
  ] },
  { category: 'Board games', brands: ['Meeple Works', 'Tabletop Forge', 'Red Dice Games'], brandInTitle: false, types: [
    { type: 'Strategy games', names: ['Harbour Empires', 'Sky Railways', 'Ancient Trade Routes', 'Terraform Frontier', 'Castle Builders'], price: [29, 69], goesWith: ['Expansions', 'Game accessories'] },
    { type: 'Expansions', names: ['Harbour Empires: New Shores', 'Sky Railways: Night Lines', 'Terraform Frontier: Moons'], price: [18, 39], goesWith: ['Game accessories'] },
    { type: 'Family games', names: ['Fox & Hen', 'Treasure Dash', 'Word Garden', 'Lantern Lake'], price: [15, 39], goesWith: ['Party games', 'Cooperative games'] },
    { type: 'Party games', names: ['Quick Draw', 'Secret Words', 'Fast Fibs', 'Snap Judgement'], price: [12, 29], goesWith: ['Family games'] },
    { type: 'Cooperative games', names: ['Deep Sea Rescue', 'Forest Guardians'], price: [24, 49], goesWith: ['Family games'] },
    { type: 'Card games', names: ['Pocket Dragons', 'Coral Reef'], price: [9, 19], goesWith: ['Party games'] },
    { type: 'Game accessories', names: ['Card Sleeves 100-Pack', 'Premium Card Sleeves 200-Pack', 'Wooden Dice Tower', 'Metal Coin Set'], price: [6, 34], goesWith: ['Strategy games'] },
  ] },
  { category: 'Puzzles', brands: ['Piecewise', 'Kobo Puzzles', 'Ravenhill'], brandInTitle: true, types: [
    { type: 'Jigsaw puzzles', names: ['Alpine Lake 1000-Piece Jigsaw', 'City Lights 1000-Piece Jigsaw', 'Flower Garden 500-Piece Jigsaw', 'World Map 2000-Piece Jigsaw', 'Vintage Library 1000-Piece Jigsaw', 'Night Sky 1500-Piece Jigsaw', 'Seaside Village 500-Piece Jigsaw', 'Autumn Forest 1000-Piece Jigsaw', 'Cosy Cats 300-Piece Jigsaw'], price: [14, 39], goesWith: ['Puzzle boards & mats', 'Puzzle finishing'] },
    // A child's first puzzle and a first family game are bought together.
    { type: "Kids' puzzles", names: ['Farm Animals 48-Piece Puzzle', 'Dinosaur World 100-Piece Puzzle', 'First Vehicles 3-in-1 Puzzle', 'Space Floor Puzzle'], price: [8, 24], goesWith: ['Family games'] },
    { type: 'Puzzle boards & mats', names: ['Roll-up Puzzle Mat', 'Wooden Puzzle Board with Drawers', 'Sorting Trays 6-Pack'], price: [15, 49], goesWith: ['Jigsaw puzzles', 'Puzzle finishing'] },
    { type: 'Puzzle finishing', names: ['Puzzle Glue & Spreader', 'Poster Frame 70 × 50 cm'], price: [7, 39], goesWith: ['Jigsaw puzzles'] },
    { type: 'Brain teasers', names: ['Metal Brain Teaser Set', 'Wooden Cube Puzzle', 'Speed Cube 3 × 3', 'Tangram Set', 'Sliding Tile Puzzle', '3D Wooden Globe Puzzle'], price: [7, 24], goesWith: ['Brain teasers'] },
  ] },
  { category: 'Building toys', brands: ['Brickfield', 'Stackit', 'Blokko'], brandInTitle: true, types: [
    { type: 'Building sets', names: ['Space Station Set', 'Harbour Town Set', 'Race Car Set', 'Medieval Castle Set', 'Fire Station Set', 'Dino Park Set', 'Pirate Ship Set', 'Treehouse Set', 'Space Shuttle Set'], price: [19, 99], goesWith: ['Minifigures', 'Baseplates', 'Brick storage'] },
    { type: 'Technic kits', names: ['Robot Arm Kit', 'Crane Truck Kit', 'Motorised Rover Kit'], price: [39, 129], goesWith: ['Motors & lights'] },
    { type: 'Motors & lights', names: ['LED Light Kit', 'Motor & Battery Box'], price: [12, 34], goesWith: ['Technic kits', 'Building sets'] },
    { type: 'Brick boxes', names: ['Classic Brick Box 500 Pieces', 'Creative Bucket 900 Pieces'], price: [19, 49], goesWith: ['Baseplates', 'Brick storage'] },
    { type: 'Minifigures', names: ['Minifigure Series 4', 'City Crew Pack', 'Knights Pack'], price: [5, 16], goesWith: ['Building sets'] },
    { type: 'Baseplates', names: ['Green Baseplate 32 × 32', 'Grey Baseplate 48 × 48'], price: [7, 16], goesWith: ['Building sets', 'Brick boxes'] },
    { type: 'Brick storage', names: ['Stackable Storage Box', 'Sorting Box 4 Compartments', 'Play Mat Bag'], price: [12, 39], goesWith: ['Brick boxes'] },
  ] },
  { category: 'Outdoor play', brands: ['Sunny Yard', 'Trailkid', 'Splashday'], brandInTitle: true, types: [
    { type: 'Balls', names: ['Size 5 Football', 'Outdoor Basketball', 'Soft Volleyball', 'Beach Ball 3-Pack'], price: [8, 30], goesWith: ['Ball accessories', 'Goals & hoops'] },
    { type: 'Ball accessories', names: ['Ball Pump with Needles'], price: [6, 12], goesWith: ['Balls'] },
    { type: 'Goals & hoops', names: ['Pop-up Football Goal', 'Adjustable Basketball Hoop'], price: [29, 89], goesWith: ['Balls'] },
    { type: 'Kites', names: ['Stunt Kite', 'Delta Kite', 'Octopus Kite'], price: [15, 45], goesWith: ['Kite accessories'] },
    { type: 'Kite accessories', names: ['Kite Line 50 m on Winder'], price: [6, 14], goesWith: ['Kites'] },
    { type: 'Ride-ons', names: ['Kick Scooter', 'Three-Wheel Scooter', 'Balance Bike'], price: [39, 99], goesWith: ['Safety gear'] },
    { type: 'Safety gear', names: ["Kids' Helmet", 'Knee & Elbow Pads'], price: [14, 39], goesWith: ['Ride-ons'] },
    // A day in the paddling pool calls for sunscreen: the one link from toys into skin care.
    { type: 'Water play', names: ['Water Blaster 2-Pack', 'Paddling Pool', 'Sprinkler Mat'], price: [9, 59], goesWith: ['Sun care', 'Sand play'] },
    { type: 'Garden games', names: ['Garden Skittles', 'Badminton Set', 'Flying Disc', 'Swingball'], price: [12, 49], goesWith: ['Garden games'] },
    { type: 'Sand play', names: ['Sand Toy Set'], price: [9, 19], goesWith: ['Water play'] },
  ] },
  { category: 'Kitchen', brands: ['Ferro', 'Oak & Ash', 'Kitchenwise', 'Kasa'], brandInTitle: true, types: [
    { type: 'Pans', names: ['Cast Iron Skillet 26 cm', 'Non-stick Frying Pan 28 cm', 'Carbon Steel Wok 32 cm', 'Stainless Sauté Pan 24 cm'], price: [24, 89], goesWith: ['Utensils', 'Kitchen textiles'] },
    { type: 'Pots', names: ['Enamelled Dutch Oven 24 cm', 'Stockpot 6 L'], price: [39, 139], goesWith: ['Utensils', 'Kitchen textiles'] },
    { type: 'Knives', names: ["Chef's Knife 20 cm", 'Santoku Knife 18 cm', 'Paring Knife 9 cm', 'Bread Knife 22 cm', 'Knife Block Set'], price: [19, 129], goesWith: ['Cutting boards', 'Knife care'] },
    { type: 'Cutting boards', names: ['Oak Cutting Board', 'Bamboo Board Set', 'End-grain Butcher Block'], price: [14, 59], goesWith: ['Knives', 'Board care'] },
    { type: 'Knife care', names: ['Whetstone 1000/6000', 'Pull-through Sharpener', 'Honing Steel'], price: [9, 49], goesWith: ['Knives'] },
    { type: 'Utensils', names: ['Silicone Spatula Set', 'Fish Slice', 'Olive Wood Spoon Set'], price: [6, 24], goesWith: ['Pans'] },
    { type: 'Kitchen textiles', names: ['Linen Oven Mitts', 'Cotton Tea Towels 3-Pack', 'Linen Apron'], price: [9, 29], goesWith: ['Pots', 'Pans'] },
    { type: 'Board care', names: ['Board & Butcher Block Oil'], price: [8, 16], goesWith: ['Cutting boards'] },
  ] },
  { category: 'Coffee & tea', brands: ['Brewhaus', 'Mokka Lab'], brandInTitle: true, types: [
    { type: 'Coffee beans', brands: ['Roastwell', 'Mokka Lab'], names: ['Espresso Roast Beans 1 kg', 'Ethiopia Yirgacheffe Beans 250 g', 'Colombia Huila Beans 250 g', 'Decaf House Blend 500 g', 'Kenya AA Beans 250 g'], price: [9, 29], goesWith: ['Grinders', 'Brewers', 'Cups & mugs'] },
    { type: 'Grinders', names: ['Conical Burr Grinder', 'Hand Grinder'], price: [29, 149], goesWith: ['Coffee beans'] },
    { type: 'Brewers', names: ['Pour-over Dripper', 'French Press 1 L', 'Moka Pot 6-Cup', 'Cold Brew Bottle'], price: [15, 59], goesWith: ['Coffee filters', 'Kettles', 'Coffee beans'] },
    { type: 'Coffee filters', names: ['Paper Filters 100-Pack'], price: [4, 9], goesWith: ['Coffee beans'] },
    { type: 'Kettles', names: ['Gooseneck Kettle', 'Electric Kettle 1.7 L'], price: [29, 99], goesWith: ['Brewers', 'Loose tea'] },
    { type: 'Scales', names: ['Coffee Scale with Timer'], price: [19, 39], goesWith: ['Brewers', 'Coffee beans'] },
    { type: 'Loose tea', brands: ['Kettle & Leaf'], names: ['Sencha Green Tea 100 g', 'Earl Grey 100 g', 'Chamomile 50 g', 'Masala Chai 100 g'], price: [6, 19], goesWith: ['Teaware', 'Cups & mugs'] },
    { type: 'Teaware', brands: ['Kettle & Leaf'], names: ['Cast Iron Teapot', 'Glass Teapot 1 L', 'Stainless Tea Infuser'], price: [12, 59], goesWith: ['Loose tea'] },
    { type: 'Cups & mugs', names: ['Stoneware Mug', 'Travel Tumbler'], price: [8, 29], goesWith: ['Coffee beans', 'Loose tea'] },
  ] },
];

/** Products that are announced but not released yet: the shop shows "Pre-order". */
const PREORDER = new Set(['Terraform Frontier: Moons', 'Space Shuttle Set']);

/**
 * Products in each special state (of 240: 5% out of stock, 10% low stock, 15% on sale), given to random
 * products in exact numbers so every build of the shop shows each state.
 */
const SPECIAL = { outOfStock: 12, backorder: 3, lowStock: 24, onSale: 36 };

const SEED = 20261124;
const UPDATED_AT = '2026-11-24T00:00:00.000Z';

interface Built {
  catalog: Catalog;
  /** Product type of each id, e.g. `Conditioners`. */
  typeOf: Map<string, string>;
  /** `complements()` of each id. */
  goesWith: Map<string, string[]>;
}

let built: Built | undefined;

const cents = (x: number): number => Math.round(x * 100) / 100;

/** A price as shops write them: 4.99, 24.95, 129.99 (charm pricing), never 23.17. */
function shopPrice(x: number, random: () => number): number {
  if (x >= 100) return cents(Math.round(x / 5) * 5 - 0.01);
  const ending = random() < 0.25 ? 0.95 : random() < 0.3 ? 0.49 : 0.99;
  return cents(Math.max(1, Math.floor(x)) + ending);
}

function checkDepartments(): void {
  const types = new Set<string>();
  for (const dept of DEPARTMENTS) {
    if (!DEMO_CATEGORIES.some((c) => c.name === dept.category)) throw new Error(`demo catalog: no look for category "${dept.category}"`);
    for (const t of dept.types) {
      if (types.has(t.type)) throw new Error(`demo catalog: product type "${t.type}" defined twice`);
      types.add(t.type);
    }
  }
  for (const t of DEPARTMENTS.flatMap((d) => d.types)) {
    for (const next of t.goesWith) if (!types.has(next)) throw new Error(`demo catalog: "${t.type}" goes with unknown type "${next}"`);
  }
}

function build(): Built {
  checkDepartments();
  const random = rng(SEED);
  type Draft = Omit<Product, 'id' | 'link' | 'image_link'>;

  // Within a department the shop lists one product of each type before the second of any: bestsellers
  // span the department. Departments then interleave, so "the catalog's own order" (the widget's
  // bestseller fallback, and the popularity the simulated shoppers follow) is a mixed shop window.
  const columns = DEPARTMENTS.map((dept) => {
    const drafts: Draft[] = [];
    let brandTurn = 0;
    const longest = Math.max(...dept.types.map((t) => t.names.length));
    for (let rank = 0; rank < longest; rank++) {
      for (const t of dept.types) {
        const name = t.names[rank];
        if (name === undefined) continue;
        const brands = t.brands ?? dept.brands;
        const brand = brands[brandTurn++ % brands.length]!;
        drafts.push({
          title: dept.brandInTitle ? `${brand} ${name}` : name,
          brand,
          price: shopPrice(t.price[0] + random() * (t.price[1] - t.price[0]), random),
          currency: 'EUR',
          availability: PREORDER.has(name) ? 'preorder' : 'in_stock',
          product_type: `${dept.category} > ${t.type}`,
        });
      }
    }
    return drafts;
  });
  const drafts: Draft[] = [];
  const total = columns.reduce((n, c) => n + c.length, 0);
  for (let rank = 0; drafts.length < total; rank++) {
    for (const column of columns) if (column[rank]) drafts.push(column[rank]!);
  }

  const products: Product[] = drafts.map((draft, i) => {
    const id = `sku-${String(i + 1).padStart(4, '0')}`;
    return { id, link: `/p/${id}`, image_link: `/demo/img/${id}.svg`, ...draft };
  });

  const order = shuffle(
    products.filter((p) => p.availability === 'in_stock'),
    random,
  );
  const mark = (count: number, availability: Availability): void => order.splice(0, count).forEach((p) => (p.availability = availability));
  mark(SPECIAL.outOfStock, 'out_of_stock');
  mark(SPECIAL.backorder, 'backorder');
  for (const p of order.splice(0, SPECIAL.lowStock)) p.stock = 1 + Math.floor(random() * 5);
  // The rest of what is in stock has a healthy count, as a feed with inventory would carry.
  for (const p of order) p.stock = 6 + Math.floor(random() * 90);
  const discounted = shuffle([...products], random).filter((p) => p.availability !== 'out_of_stock');
  for (const p of discounted.slice(0, SPECIAL.onSale)) {
    const sale = shopPrice(p.price * (0.7 + random() * 0.2), random);
    if (sale < p.price) p.sale_price = sale;
  }

  const typeOf = new Map(products.map((p) => [p.id, p.product_type.split(' > ')[1]!]));
  const byType = new Map<string, string[]>();
  for (const [id, type] of typeOf) byType.set(type, [...(byType.get(type) ?? []), id]);
  const goesWithTypes = new Map(DEPARTMENTS.flatMap((d) => d.types).map((t) => [t.type, t.goesWith]));
  const goesWith = new Map(
    products.map((p) => [
      p.id,
      goesWithTypes
        .get(typeOf.get(p.id)!)!
        .flatMap((t) => byType.get(t) ?? [])
        .filter((id) => id !== p.id),
    ]),
  );
  // Validate with the same parser a merchant's feed goes through: the demo proves the contract.
  return { catalog: parseCatalog({ updatedAt: UPDATED_AT, products }), typeOf, goesWith };
}

function data(): Built {
  built ??= build();
  return built;
}

/**
 * The demo shop's catalog: 240 products in 10 categories, bestsellers first, identical on every run.
 * Built once per process; callers must treat it as read-only.
 *
 * @example demoCatalog().products[0] // { id: 'sku-0001', title: 'Lumen Gentle Gel Cleanser 150 ml', ... }
 */
export function demoCatalog(): Catalog {
  return data().catalog;
}

/** Top-level category names in shop order, e.g. `['Skin care', 'Hair care', ...]`. */
export function demoCategories(): string[] {
  return DEPARTMENTS.map((d) => d.category);
}

/** Product type (second level of `product_type`) of a demo product, e.g. `Conditioners`. */
export function productType(productId: string): string | undefined {
  return data().typeOf.get(productId);
}

/**
 * Products usually bought with `productId` ("goes with"), bestsellers first: shampoo -> conditioners,
 * coffee grinder -> beans, jigsaw -> puzzle mats and glue. Derived from product types, so "complete the
 * basket" has a right answer the model can learn. Empty for unknown ids; never contains `productId`.
 */
export function complements(productId: string): string[] {
  return data().goesWith.get(productId) ?? [];
}
