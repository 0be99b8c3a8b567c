/**
 * Google Merchant Center product feeds -> `Catalog`: the tab-separated text feed (header row of
 * attribute names) and the XML feed (RSS 2.0 or Atom 1.0 with the `g:` namespace
 * `http://base.google.com/ns/1.0`). Feed spec: https://support.google.com/merchants/answer/7052112
 * (attributes) and https://support.google.com/merchants/answer/160567 (formats).
 *
 * Only the attributes the widget uses are read (id, item_group_id, title, link, image_link, price,
 * sale_price, sale_price_effective_date, availability, product_type / google_product_category, brand);
 * the rest of a feed (shipping, GTINs, descriptions, the variant attributes size and color...) is
 * skipped. Web-standard code only: it runs in the edge
 * server on any runtime.
 *
 * The XML reader is a small, strict parser written for this one job rather than a dependency: feeds
 * come from merchants' own systems, so it refuses DTDs (no entity expansion, no external entities) and
 * any malformed markup, naming the line.
 */
import { checkProducts, MAX_CATALOG_ITEMS, parseProduct, tooManyItems, type Availability, type Catalog, type CatalogLimits, type Product } from './catalog.ts';
import { ContractError, show } from './errors.ts';

const FEED_FORMATS = ['tsv', 'xml'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

export interface FeedOptions extends CatalogLimits {
  /**
   * The time a `sale_price_effective_date` range is checked against. Default: now. A sale outside its
   * dates is dropped, so copy never announces a price drop the shop is not giving.
   */
  now?: Date;
}

/** The namespace Merchant Center attributes live in, whatever prefix a feed binds it to. */
const GOOGLE_NS = 'http://base.google.com/ns/1.0';

const bad = (message: string): never => {
  throw new ContractError('bad_catalog', message);
};

/** Attribute names as Merchant Center accepts them in a TSV header: `image link`, `Image_Link`, `g:image_link`. */
function attributeName(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/^g:/, '')
    .replace(/[\s-]+/g, '_');
}

/** Spellings of `availability` seen in feeds; `available for order` is Merchant Center's retired name for in stock. */
const AVAILABILITY_SPELLINGS: Record<string, Availability> = {
  in_stock: 'in_stock',
  instock: 'in_stock',
  available_for_order: 'in_stock',
  out_of_stock: 'out_of_stock',
  outofstock: 'out_of_stock',
  preorder: 'preorder',
  pre_order: 'preorder',
  backorder: 'backorder',
  back_order: 'backorder',
};

export interface FeedPrice {
  amount: number;
  currency: string;
}

/**
 * Reads a Merchant Center price: `12.99 USD` (the documented form), also `USD 12.99`, `12,99 EUR` and
 * `1,299.00 USD`. The separator that comes last and is followed by one or two digits is the decimal point.
 * @returns null when `text` is not a price.
 */
export function parseFeedPrice(text: string): FeedPrice | null {
  const m = /^\s*(?:([0-9][0-9.,' ]*?)\s*([A-Za-z]{3})|([A-Za-z]{3})\s*([0-9][0-9.,' ]*?))\s*$/.exec(text);
  if (!m) return null;
  const digits = (m[1] ?? m[4] ?? '').replace(/[' ]/g, '');
  const currency = (m[2] ?? m[3] ?? '').toUpperCase();
  const decimal = /[.,](\d{1,2})$/.exec(digits);
  const whole = decimal ? digits.slice(0, decimal.index) : digits;
  if (!/^\d{1,3}(?:[.,]?\d{3})*$|^\d+$/.test(whole)) return null;
  const amount = Number(`${whole.replace(/[.,]/g, '')}${decimal ? `.${decimal[1]}` : ''}`);
  return Number.isFinite(amount) ? { amount, currency } : null;
}

/** Whether `now` lies in a `sale_price_effective_date` range (`start/end`, ISO 8601; either end may be open). */
function saleActive(range: string | undefined, now: Date, where: string): boolean {
  if (!range) return true;
  const parts = range.split('/');
  if (parts.length !== 2) bad(`${where}: field "sale_price_effective_date" must be "START/END" in ISO 8601 (got ${show(range)})`);
  const [start, end] = parts.map((p) => {
    if (p.trim() === '') return null;
    const t = Date.parse(p.trim());
    if (Number.isNaN(t)) bad(`${where}: field "sale_price_effective_date" has an unreadable date ${show(p)}`);
    return t;
  });
  const t = now.getTime();
  return (start == null || t >= start) && (end == null || t < end);
}

/**
 * One feed entry (attribute name -> text) to a validated `Product`.
 * @param where names the entry in errors, e.g. `line 7` or `item 3 (line 42)`.
 */
function feedProduct(fields: ReadonlyMap<string, string>, where: string, now: Date = new Date()): Product {
  const get = (name: string): string | undefined => {
    const v = fields.get(name)?.trim();
    return v === '' ? undefined : v;
  };
  const id = get('id') ?? bad(`${where}: field "id" is missing`);
  const at = `${where} (item ${show(id)})`;
  const required = (name: string): string => get(name) ?? bad(`${at}: field "${name}" is missing`);

  const price = parseFeedPrice(required('price')) ?? bad(`${at}: field "price" must be like "12.99 USD" (got ${show(get('price'))})`);
  const availabilityText = required('availability');
  const availability = AVAILABILITY_SPELLINGS[availabilityText.toLowerCase().replace(/[\s-]+/g, '_')];
  if (!availability) {
    bad(`${at}: field "availability" must be one of in stock, out of stock, preorder, backorder (got ${show(availabilityText)})`);
  }
  // Several product types may be given (comma-separated in TSV); the first is the main one.
  const productType = get('product_type')?.split(',')[0]?.trim();
  const googleCategory = get('google_product_category');
  let category = productType;
  if (!category && googleCategory) {
    // A numeric id names a category only through Google's taxonomy file, which the widget does not have.
    if (/^\d+$/.test(googleCategory)) {
      bad(`${at}: field "google_product_category" is the numeric id ${googleCategory}; give "product_type" or the category path (e.g. "Apparel & Accessories > Clothing")`);
    }
    category = googleCategory;
  }
  if (!category) bad(`${at}: field "product_type" (or "google_product_category") is missing`);

  const raw: Record<string, unknown> = {
    id,
    title: required('title'),
    link: required('link'),
    image_link: required('image_link'),
    price: price.amount,
    currency: price.currency,
    availability,
    product_type: category,
  };
  const saleText = get('sale_price');
  if (saleText !== undefined) {
    const sale = parseFeedPrice(saleText) ?? bad(`${at}: field "sale_price" must be like "9.99 USD" (got ${show(saleText)})`);
    if (sale.currency !== price.currency) bad(`${at}: field "sale_price" is in ${sale.currency} but "price" in ${price.currency}`);
    // A "sale" at or above the regular price is no sale: keep copy from calling it one.
    if (sale.amount < price.amount && saleActive(get('sale_price_effective_date'), now, at)) raw.sale_price = sale.amount;
  }
  const brand = get('brand');
  if (brand !== undefined) raw.brand = brand;
  const group = get('item_group_id');
  if (group !== undefined) raw.item_group_id = group;
  return parseProduct(raw, where);
}

function catalogOf(entries: Iterable<{ fields: Map<string, string>; where: string }>, updatedAt: string, now: Date): Catalog {
  const products: Product[] = [];
  const places: string[] = [];
  const seen = new Map<string, string>();
  for (const { fields, where } of entries) {
    const product = feedProduct(fields, where, now);
    const first = seen.get(product.id);
    if (first) bad(`${where}: duplicate id ${show(product.id)} (first at ${first})`);
    seen.set(product.id, where);
    products.push(product);
    places.push(`${where} (item ${show(product.id)})`);
  }
  if (products.length === 0) bad('feed: no products');
  checkProducts(products, (i) => places[i]!);
  return { updatedAt, products };
}

// ---------------------------------------------------------------------------------------------------
// TSV

/**
 * Splits tab-separated text into rows. A field may be quoted (`"..."`, `""` for a quote) to hold tabs
 * or line breaks, as Merchant Center allows. Returns each row with the line it starts on.
 */
function tsvRows(text: string, maxRows: number): Array<{ cells: string[]; line: number }> {
  const rows: Array<{ cells: string[]; line: number }> = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const cells: string[] = [];
    for (;;) {
      let cell = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) bad(`line ${start}: a quoted field is not closed`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          cell += c;
          i++;
        }
        // Anything between the closing quote and the next tab or line end is kept, as spreadsheets do.
        while (i < n && text[i] !== '\t' && text[i] !== '\n' && text[i] !== '\r') cell += text[i++];
      } else {
        const end = text.slice(i).search(/[\t\r\n]/);
        const stop = end < 0 ? n : i + end;
        cell = text.slice(i, stop);
        i = stop;
      }
      cells.push(cell);
      if (text[i] === '\t') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    if (!(cells.length === 1 && cells[0]!.trim() === '')) {
      // The header row is not a product.
      if (rows.length >= maxRows) throw tooManyItems(maxRows - 1);
      rows.push({ cells, line: start });
    }
  }
  return rows;
}

/** Parses a tab-separated Merchant Center feed (first row: attribute names). */
export function parseTsvFeed(text: string, options: FeedOptions = {}): Catalog {
  const rows = tsvRows(text.replace(/^\uFEFF/, ''), (options.maxItems ?? MAX_CATALOG_ITEMS) + 1);
  const header = rows.shift() ?? bad('feed: empty (expected a header row of attribute names, e.g. "id<TAB>title<TAB>link...")');
  const names = header.cells.map(attributeName);
  if (!names.includes('id')) {
    bad(`line ${header.line}: the header row has no "id" column (got ${show(header.cells.slice(0, 6).join(', '))}); is the feed tab-separated?`);
  }
  const now = options.now ?? new Date();
  return catalogOf(
    rows.map(({ cells, line }) => {
      if (cells.length > names.length) bad(`line ${line}: ${cells.length} fields but the header names ${names.length}`);
      const fields = new Map<string, string>();
      // The first value of a repeated column wins, as for repeated XML elements.
      cells.forEach((value, c) => {
        if (!fields.has(names[c]!)) fields.set(names[c]!, value);
      });
      return { fields, where: `line ${line}` };
    }),
    now.toISOString(),
    now,
  );
}

// ---------------------------------------------------------------------------------------------------
// XML

interface XmlElement {
  /** Qualified name as written, e.g. `g:price`. */
  name: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
  /** Prefix -> namespace URI in scope here. */
  ns: Map<string, string>;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** Nesting deeper than this is not a product feed; refusing it bounds the parser's work. */
const MAX_DEPTH = 64;
const NAME = /^[A-Za-z_][\w.:-]*$/;

function decodeEntities(text: string, lineOf: () => number): string {
  return text.replace(/&([^;&\s]{1,10});/g, (whole, ref: string) => {
    if (ref in ENTITIES) return ENTITIES[ref]!;
    const code = ref.startsWith('#x') || ref.startsWith('#X') ? parseInt(ref.slice(2), 16) : ref.startsWith('#') ? parseInt(ref.slice(1), 10) : NaN;
    if (!Number.isInteger(code) || code < 1 || code > 0x10ffff) return bad(`line ${lineOf()}: unknown entity ${whole} (XML feeds may use &lt; &gt; &amp; &quot; &apos; and &#N;)`);
    return String.fromCodePoint(code);
  });
}

/**
 * What `parseXml` does with the feed's items: an element `isItem` picks is handed to `item` once it
 * closes and is not kept in the tree, so the parser holds one item's elements at a time, however many
 * items a feed has.
 */
interface ItemSink {
  /** Whether an element opening under `stack` (the document node, then the root element...) is an item; called before it is read. */
  isItem(name: string, stack: readonly XmlElement[]): boolean;
  item(element: XmlElement): void;
}

/** A strict, non-validating XML parser for feeds: elements, attributes, text, CDATA, comments; no DTD. */
function parseXml(text: string, sink: ItemSink): XmlElement {
  let i = 0;
  let line = 1;
  const n = text.length;
  const advance = (to: number): void => {
    for (let j = i; j < to; j++) if (text.charCodeAt(j) === 10) line++;
    i = to;
  };
  const expectEnd = (marker: string, what: string): number => {
    const end = text.indexOf(marker, i);
    if (end < 0) bad(`line ${line}: ${what} is not closed`);
    return end;
  };
  const root: XmlElement = { name: '#document', attrs: new Map(), children: [], text: '', line: 1, ns: new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]) };
  const stack: XmlElement[] = [root];
  /** Open items: handed to the sink when they close. */
  const items = new Set<XmlElement>();
  while (i < n) {
    const lt = text.indexOf('<', i);
    const top = stack[stack.length - 1]!;
    if (lt < 0 || lt > i) {
      const end = lt < 0 ? n : lt;
      const raw = text.slice(i, end);
      const at = line;
      if (stack.length === 1) {
        if (raw.trim() !== '') bad(`line ${at}: text outside the root element`);
      } else top.text += decodeEntities(raw, () => at);
      advance(end);
      continue;
    }
    if (text.startsWith('<!--', i)) {
      advance(expectEnd('-->', 'a comment') + 3);
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = expectEnd(']]>', 'a CDATA section');
      top.text += text.slice(i + 9, end);
      advance(end + 3);
    } else if (text.startsWith('<?', i)) {
      advance(expectEnd('?>', 'a processing instruction') + 2);
    } else if (text.startsWith('<!', i)) {
      // A DTD could define entities that expand without bound; feeds have no use for one.
      bad(`line ${line}: a DOCTYPE or other declaration is not allowed in a feed`);
    } else if (text.startsWith('</', i)) {
      const end = expectEnd('>', 'an end tag');
      const name = text.slice(i + 2, end).trim();
      if (stack.length === 1 || top.name !== name) {
        bad(`line ${line}: end tag </${name}> does not match ${stack.length === 1 ? 'any open element' : `<${top.name}> (line ${top.line})`}`);
      }
      stack.pop();
      if (items.has(top)) {
        items.delete(top);
        sink.item(top);
      }
      advance(end + 1);
    } else {
      // Start tag: find its end outside quoted attribute values.
      let j = i + 1;
      let quote = '';
      for (; j < n; j++) {
        const c = text[j]!;
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>') break;
      }
      if (j >= n) bad(`line ${line}: a start tag is not closed`);
      const selfClosing = text[j - 1] === '/';
      const body = text.slice(i + 1, selfClosing ? j - 1 : j);
      const nameMatch = /^[^\s/>]+/.exec(body);
      const name = nameMatch?.[0] ?? '';
      if (!NAME.test(name)) bad(`line ${line}: bad element name ${show(name)}`);
      if (stack.length > MAX_DEPTH) bad(`line ${line}: elements nested deeper than ${MAX_DEPTH}`);
      if (stack.length === 1 && root.children.length > 0) bad(`line ${line}: a second root element <${name}>`);
      const attrs = new Map<string, string>();
      const rest = body.slice(name.length);
      const attrRe = /\s*([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;
      let k = 0;
      const at = line;
      while (k < rest.length) {
        if (rest.slice(k).trim() === '') break;
        attrRe.lastIndex = k;
        const m = attrRe.exec(rest);
        if (!m) bad(`line ${line}: malformed attributes in <${name}>`);
        attrs.set(m![1]!, decodeEntities(m![2] ?? m![3] ?? '', () => at));
        k = attrRe.lastIndex;
      }
      // Shared with the parent unless this element declares a namespace (most elements do not).
      let ns = top.ns;
      for (const [attr, value] of attrs) {
        if (attr !== 'xmlns' && !attr.startsWith('xmlns:')) continue;
        if (ns === top.ns) ns = new Map(top.ns);
        ns.set(attr === 'xmlns' ? '' : attr.slice(6), value);
      }
      const element: XmlElement = { name, attrs, children: [], text: '', line, ns };
      if (!sink.isItem(name, stack)) top.children.push(element);
      else if (selfClosing) sink.item(element);
      else items.add(element);
      if (!selfClosing) stack.push(element);
      advance(j + 1);
    }
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]!;
    bad(`line ${line}: the feed ends inside <${open.name}> (opened at line ${open.line})`);
  }
  return root.children[0] ?? bad('feed: no root element');
}

function split(name: string): { prefix: string; local: string } {
  const c = name.indexOf(':');
  return c < 0 ? { prefix: '', local: name } : { prefix: name.slice(0, c), local: name.slice(c + 1) };
}

/** Text of an element and its descendants, as XML's string value. */
function textOf(e: XmlElement): string {
  return e.text + e.children.map(textOf).join('');
}

/** An item's attributes by name, as `feedProduct` reads them. */
function itemFields(item: XmlElement): Map<string, string> {
  const fields = new Map<string, string>();
  const fromGoogle = new Set<string>();
  for (const child of item.children) {
    const { prefix, local: name } = split(child.name);
    const uri = child.ns.get(prefix);
    // Merchant attributes are in Google's namespace; RSS/Atom's own title and link are unprefixed.
    const google = uri === GOOGLE_NS;
    if (!google && prefix !== '' && uri !== undefined) continue;
    if (!google && prefix !== '' && uri === undefined) bad(`line ${child.line}: prefix "${prefix}" of <${child.name}> is not declared (xmlns:${prefix}="${GOOGLE_NS}")`);
    let value = textOf(child);
    // Atom links carry their URL in href.
    if (!google && name === 'link' && value.trim() === '' && child.attrs.has('href')) value = child.attrs.get('href')!;
    const key = attributeName(name);
    // A Google-namespaced value beats the feed format's own element of the same name (g:title over title).
    if (!fields.has(key) || (google && !fromGoogle.has(key))) {
      fields.set(key, value);
      if (google) fromGoogle.add(key);
    }
  }
  return fields;
}

/**
 * Parses an XML Merchant Center feed: RSS 2.0 (`rss > channel > item`) or Atom (`feed > entry`). Items
 * are read one at a time as the parser meets them, and counted against `maxItems` as each opens, so a
 * feed of millions of items is refused after reading `maxItems + 1` of them, without building them all.
 */
export function parseXmlFeed(text: string, options: FeedOptions = {}): Catalog {
  const local = (name: string): string => split(name).local;
  const maxItems = options.maxItems ?? MAX_CATALOG_ITEMS;
  const entries: Array<{ fields: Map<string, string>; where: string }> = [];
  let opened = 0;
  const root = parseXml(text.replace(/^\uFEFF/, ''), {
    isItem(name, stack) {
      const [, top, second] = stack;
      const item =
        (stack.length === 3 && local(top!.name) === 'rss' && local(second!.name) === 'channel' && local(name) === 'item') ||
        (stack.length === 2 && local(top!.name) === 'feed' && local(name) === 'entry');
      if (item && ++opened > maxItems) throw tooManyItems(maxItems);
      return item;
    },
    item(element) {
      entries.push({ fields: itemFields(element), where: `item ${entries.length + 1} (line ${element.line})` });
    },
  });
  let container: XmlElement;
  if (local(root.name) === 'rss') {
    container = root.children.find((c) => local(c.name) === 'channel') ?? bad(`line ${root.line}: <rss> has no <channel>`);
  } else if (local(root.name) === 'feed') {
    container = root;
  } else {
    return bad(`line ${root.line}: expected an RSS 2.0 <rss> or Atom <feed> root element (got <${root.name}>)`);
  }
  const now = options.now ?? new Date();
  const stamp = container.children.find((c) => ['lastBuildDate', 'pubDate', 'updated'].includes(local(c.name)));
  const stampMs = stamp ? Date.parse(textOf(stamp).trim()) : NaN;
  const updatedAt = Number.isNaN(stampMs) ? now.toISOString() : new Date(stampMs).toISOString();
  return catalogOf(entries, updatedAt, now);
}

/**
 * Parses a feed in the given format.
 * @throws ContractError `bad_catalog` naming the line or item and the field at fault.
 */
export function parseMerchantFeed(text: string, format: FeedFormat, options: FeedOptions = {}): Catalog {
  return format === 'xml' ? parseXmlFeed(text, options) : parseTsvFeed(text, options);
}
