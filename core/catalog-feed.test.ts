import { describe, expect, expectTypeOf, it } from 'vitest';
import { thrownContractError } from '../test/support/contract-error.ts';
import type { Catalog } from './catalog.ts';
import { parseFeedPrice, parseMerchantFeed, parseTsvFeed, parseXmlFeed } from './catalog-feed.ts';

const NOW = new Date('2026-03-10T12:00:00Z');
const refusal = (fn: () => unknown): string => thrownContractError(fn, 'bad_catalog').message;

const tsv = (rows: string[][]): string => rows.map((r) => r.join('\t')).join('\n');
const HEADER = ['id', 'title', 'link', 'image_link', 'price', 'sale_price', 'availability', 'product_type', 'brand'];

const rssFeed = (items: string, channelExtra = ''): string => `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
  <channel>
    <title>Example shop</title>
    <link>https://shop.example</link>
    <description>Products</description>${channelExtra}
${items}
  </channel>
</rss>`;

const ITEM_TV = `    <item>
      <g:id>TV_123456</g:id>
      <title>LG 22LB4510 - 22" LED TV</title>
      <description>Full HD &amp; slim</description>
      <link>https://shop.example/tv/22LB4510.html</link>
      <g:image_link>https://img.example/TV_123456.png</g:image_link>
      <g:condition>new</g:condition>
      <g:availability>in stock</g:availability>
      <g:price>159.00 USD</g:price>
      <g:sale_price>149.00 USD</g:sale_price>
      <g:shipping>
        <g:country>US</g:country>
        <g:price>14.95 USD</g:price>
      </g:shipping>
      <g:google_product_category>Electronics &gt; Video &gt; Televisions</g:google_product_category>
      <g:brand><![CDATA[LG <Electronics>]]></g:brand>
    </item>`;

describe('parseTsvFeed', () => {
  it('maps a Merchant Center TSV feed onto catalog products', () => {
    const catalog = parseTsvFeed(
      tsv([
        HEADER,
        ['sku-1', 'Rose face cream', 'https://shop.example/p/sku-1', 'https://img.example/1.jpg', '24.50 EUR', '', 'in stock', 'Beauty > Skin care, Gifts', 'Acme'],
        ['sku-2', 'Shampoo', '/p/sku-2', '/img/2.jpg', '12.99 EUR', '9.99 EUR', 'out of stock', 'Beauty > Hair', ''],
      ]),
      { now: NOW },
    );
    expectTypeOf(catalog).toEqualTypeOf<Catalog>();
    expect(catalog.updatedAt).toBe(NOW.toISOString());
    expect(catalog.products).toEqual([
      {
        id: 'sku-1',
        title: 'Rose face cream',
        link: 'https://shop.example/p/sku-1',
        image_link: 'https://img.example/1.jpg',
        price: 24.5,
        currency: 'EUR',
        availability: 'in_stock',
        product_type: 'Beauty > Skin care',
        brand: 'Acme',
      },
      { id: 'sku-2', title: 'Shampoo', link: '/p/sku-2', image_link: '/img/2.jpg', price: 12.99, sale_price: 9.99, currency: 'EUR', availability: 'out_of_stock', product_type: 'Beauty > Hair' },
    ]);
  });

  it('accepts header spellings Merchant Center accepts, CRLF lines, a BOM and quoted fields with tabs and quotes', () => {
    const text = `\uFEFFID\tTitle\tLink\tImage Link\tPrice\tAvailability\tgoogle product category\r\n` + `a-1\t"Mug ""Big""\twith handle"\t/p/a-1\t/i/a-1.png\t8 USD\tpreorder\tHome > Kitchen\r\n\r\n`;
    const [p] = parseTsvFeed(text, { now: NOW }).products;
    // The quoted tab is read as part of the title, which shows it as a space (core/catalog.ts cleanText).
    expect(p).toMatchObject({ id: 'a-1', title: 'Mug "Big" with handle', price: 8, currency: 'USD', availability: 'preorder', product_type: 'Home > Kitchen' });
  });

  it('names the line and field of a missing or malformed value', () => {
    const row = ['sku-1', 'Cream', '/p/1', '/i/1', '24.50 EUR', '', 'in stock', 'Beauty', ''];
    expect(refusal(() => parseTsvFeed(tsv([HEADER, row, Object.assign([...row], { 4: 'cheap' })])))).toMatch(/^line 3 \(item "sku-1"\): field "price" must be like "12.99 USD" \(got "cheap"\)/);
    expect(refusal(() => parseTsvFeed(tsv([HEADER, row, Object.assign([...row], { 0: 'sku-2', 6: 'sold out' })])))).toMatch(
      /^line 3 \(item "sku-2"\): field "availability" must be one of in stock, out of stock, preorder, backorder \(got "sold out"\)/,
    );
    expect(refusal(() => parseTsvFeed(tsv([HEADER, Object.assign([...row], { 1: '' })])))).toBe('line 2 (item "sku-1"): field "title" is missing');
    expect(refusal(() => parseTsvFeed(tsv([HEADER, Object.assign([...row], { 0: ' ' })])))).toBe('line 2: field "id" is missing');
    expect(refusal(() => parseTsvFeed(tsv([HEADER, Object.assign([...row], { 7: '' })])))).toMatch(/field "product_type" \(or "google_product_category"\) is missing/);
    expect(refusal(() => parseTsvFeed(tsv([HEADER, Object.assign([...row], { 5: '9 USD' })])))).toMatch(/"sale_price" is in USD but "price" in EUR/);
  });

  it('refuses a duplicate id, naming both lines', () => {
    const row = ['sku-1', 'Cream', '/p/1', '/i/1', '24.50 EUR', '', 'in stock', 'Beauty', ''];
    expect(refusal(() => parseTsvFeed(tsv([HEADER, row, Object.assign([...row], { 0: 'x' }), row])))).toBe('line 4: duplicate id "sku-1" (first at line 2)');
  });

  it('refuses a feed with no id column, an empty feed, a row longer than the header and an unclosed quote', () => {
    expect(refusal(() => parseTsvFeed('id,title,price\n1,a,2 USD'))).toMatch(/^line 1: the header row has no "id" column .* is the feed tab-separated\?/);
    expect(refusal(() => parseTsvFeed(''))).toMatch(/^feed: empty/);
    expect(refusal(() => parseTsvFeed(tsv([HEADER])))).toBe('feed: no products');
    expect(refusal(() => parseTsvFeed(`id\ttitle\n1\ta\textra`))).toBe('line 2: 3 fields but the header names 2');
    expect(refusal(() => parseTsvFeed(`id\ttitle\n1\t"open`))).toBe('line 2: a quoted field is not closed');
  });

  it('refuses a numeric google_product_category as the only category, since no category path can be shown for it', () => {
    const text = tsv([
      ['id', 'title', 'link', 'image_link', 'price', 'availability', 'google_product_category'],
      ['d1', 'Dress', '/p', '/i', '20 USD', 'in stock', '2271'],
    ]);
    expect(refusal(() => parseTsvFeed(text))).toMatch(/numeric id 2271; give "product_type"/);
  });

  it('drops a sale price that is no lower than the price or outside its effective dates', () => {
    const header = ['id', 'title', 'link', 'image_link', 'price', 'sale_price', 'sale_price_effective_date', 'availability', 'product_type'];
    const rows = [
      ['same', 'A', '/p', '/i', '10 USD', '10 USD', '', 'in stock', 'X'],
      ['past', 'B', '/p', '/i', '10 USD', '5 USD', '2026-01-01T00:00Z/2026-02-01T00:00Z', 'in stock', 'X'],
      ['now', 'C', '/p', '/i', '10 USD', '5 USD', '2026-03-01T00:00+0100/2026-03-31T00:00+0100', 'in stock', 'X'],
      ['open', 'D', '/p', '/i', '10 USD', '5 USD', '2026-03-01T00:00Z/', 'in stock', 'X'],
    ];
    const sale = parseTsvFeed(tsv([header, ...rows]), { now: NOW }).products.map((p) => p.sale_price);
    expect(sale).toEqual([undefined, undefined, 5, 5]);
    expect(refusal(() => parseTsvFeed(tsv([header, ['x', 'A', '/p', '/i', '10 USD', '5 USD', 'soon', 'in stock', 'X']])))).toMatch(/"sale_price_effective_date" must be "START\/END"/);
  });
});

describe('parseFeedPrice', () => {
  it.each([
    ['12.99 USD', 12.99, 'USD'],
    ['USD 12.99', 12.99, 'USD'],
    ['12,99 EUR', 12.99, 'EUR'],
    ['1,299.00 USD', 1299, 'USD'],
    ['1.299,50 EUR', 1299.5, 'EUR'],
    ['15 gbp', 15, 'GBP'],
    ['1299 JPY', 1299, 'JPY'],
  ])('reads %j', (text, amount, currency) => {
    expect(parseFeedPrice(text)).toEqual({ amount, currency });
  });

  it.each(['', 'USD', '12.99', '12.99 US Dollars', '-5 USD', 'twelve USD', '1.2.3.4 USD'])('refuses %j', (text) => {
    expect(parseFeedPrice(text)).toBeNull();
  });
});

describe('parseXmlFeed', () => {
  it('reads an RSS 2.0 feed with g: attributes, entities and CDATA, ignoring nested attributes such as shipping prices', () => {
    const catalog = parseXmlFeed(rssFeed(ITEM_TV, '\n    <lastBuildDate>Mon, 09 Mar 2026 08:00:00 GMT</lastBuildDate>'), { now: NOW });
    expect(catalog.updatedAt).toBe('2026-03-09T08:00:00.000Z');
    expect(catalog.products).toEqual([
      {
        id: 'TV_123456',
        title: 'LG 22LB4510 - 22" LED TV',
        link: 'https://shop.example/tv/22LB4510.html',
        image_link: 'https://img.example/TV_123456.png',
        price: 159,
        sale_price: 149,
        currency: 'USD',
        availability: 'in_stock',
        product_type: 'Electronics > Video > Televisions',
        brand: 'LG <Electronics>',
      },
    ]);
  });

  it('resolves the Google namespace by URI, whatever its prefix, and prefers g:title over title', () => {
    const text = `<rss version="2.0" xmlns:m="http://base.google.com/ns/1.0" xmlns:x="urn:other"><channel>
      <item><m:id>1</m:id><title>RSS title</title><m:title>Merchant title</m:title><m:link>/p/1</m:link>
      <m:image_link>/i/1</m:image_link><m:price>3.50 GBP</m:price><m:availability>out_of_stock</m:availability>
      <m:product_type>Food</m:product_type><x:id>not this</x:id></item></channel></rss>`;
    expect(parseXmlFeed(text, { now: NOW }).products[0]).toMatchObject({ id: '1', title: 'Merchant title', price: 3.5, currency: 'GBP', availability: 'out_of_stock' });
  });

  it('reads an Atom feed, taking the link from href', () => {
    const text = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
      <updated>2026-03-01T00:00:00Z</updated>
      <entry><g:id>a</g:id><title>Atom item</title><link href="https://shop.example/a"/>
      <g:image_link>https://img.example/a.png</g:image_link><g:price>1.00 USD</g:price>
      <g:availability>backorder</g:availability><g:product_type>Toys</g:product_type></entry></feed>`;
    const catalog = parseXmlFeed(text, { now: NOW });
    expect(catalog.updatedAt).toBe('2026-03-01T00:00:00.000Z');
    expect(catalog.products[0]).toMatchObject({ id: 'a', title: 'Atom item', link: 'https://shop.example/a', availability: 'backorder' });
  });

  it('names the item, its line and the field at fault', () => {
    const broken = ITEM_TV.replace('<g:price>159.00 USD</g:price>', '<g:price>ask us</g:price>');
    expect(refusal(() => parseXmlFeed(rssFeed(ITEM_TV + '\n' + broken)))).toMatch(/^item 2 \(line 24\) \(item "TV_123456"\): field "price" must be like "12.99 USD" \(got "ask us"\)/);
    const noImage = ITEM_TV.replace(/<g:image_link>.*<\/g:image_link>/, '');
    expect(refusal(() => parseXmlFeed(rssFeed(noImage)))).toBe('item 1 (line 7) (item "TV_123456"): field "image_link" is missing');
  });

  it.each([
    ['<rss><channel><item></channel></rss>', /^line 1: end tag <\/channel> does not match <item> \(line 1\)/],
    ['<rss><channel>', /^line 1: the feed ends inside <channel>/],
    ['<!DOCTYPE rss [<!ENTITY a "aaaa">]><rss/>', /DOCTYPE or other declaration is not allowed/],
    ['<rss><channel><item><g:id>1</g:id></item></channel></rss>', /prefix "g" of <g:id> is not declared/],
    ['<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>&bogus;</g:id></item></channel></rss>', /unknown entity &bogus;/],
    ['<products><product/></products>', /expected an RSS 2.0 <rss> or Atom <feed> root element \(got <products>\)/],
    ['<rss></rss>', /<rss> has no <channel>/],
    ['<rss><channel></channel></rss>', /^feed: no products$/],
    ['<rss/><rss/>', /a second root element/],
    ['just text', /text outside the root element/],
    ['<rss a=1/>', /malformed attributes in <rss>/],
    ['<rss><!-- never closed', /a comment is not closed/],
  ])('refuses malformed XML %j', (text, message) => {
    expect(refusal(() => parseXmlFeed(text))).toMatch(message);
  });

  it('refuses nesting deeper than a feed needs', () => {
    expect(refusal(() => parseXmlFeed(`${'<a>'.repeat(100)}${'</a>'.repeat(100)}`))).toMatch(/nested deeper than 64/);
  });

  it('decodes numeric character references', () => {
    const item = ITEM_TV.replace('LG 22LB4510 - 22" LED TV', 'Caf&#233; &#x2615; set');
    expect(parseXmlFeed(rssFeed(item), { now: NOW }).products[0]!.title).toBe('Café ☕ set');
  });
});

describe('parseMerchantFeed', () => {
  it('gives the same products for the same feed in TSV and XML', () => {
    const fromXml = parseMerchantFeed(rssFeed(ITEM_TV), 'xml', { now: NOW });
    const fromTsv = parseMerchantFeed(
      tsv([
        ['id', 'title', 'link', 'image link', 'price', 'sale price', 'availability', 'google_product_category', 'brand'],
        ['TV_123456', 'LG 22LB4510 - 22" LED TV', 'https://shop.example/tv/22LB4510.html', 'https://img.example/TV_123456.png', '159.00 USD', '149.00 USD', 'in stock', 'Electronics > Video > Televisions', 'LG <Electronics>'],
      ]),
      'tsv',
      { now: NOW },
    );
    expect(fromTsv.products).toEqual(fromXml.products);
  });
});

describe('variants, ids and currency in feeds', () => {
  const JACKET_HEADER = ['id', 'item_group_id', 'title', 'link', 'image_link', 'price', 'availability', 'product_type', 'size', 'color'];
  const jacket = (size: string, availability = 'in stock', price = '89.00 EUR'): string[] => [
    ` rain jacket ${size} `,
    'rain jacket',
    `Rain jacket ${size}`,
    `/p/rain-jacket?size=${size}`,
    '/i/rain-jacket.jpg',
    price,
    availability,
    'Apparel > Jackets',
    size,
    'navy',
  ];
  const xmlItem = (row: string[]): string =>
    `<item>${JACKET_HEADER.map((name, i) => `<g:${name}>${row[i]!.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</g:${name}>`).join('')}</item>`;

  it('reads item_group_id in TSV and XML, keeping ids with a space (trimmed like events trim them)', () => {
    const rows = [jacket('S', 'out of stock'), jacket('M'), jacket('L')];
    const fromTsv = parseTsvFeed(tsv([JACKET_HEADER, ...rows]), { now: NOW });
    const fromXml = parseXmlFeed(rssFeed(rows.map(xmlItem).join('\n')), { now: NOW });
    expect(fromTsv.products.map((p) => [p.id, p.item_group_id])).toEqual([
      ['rain jacket S', 'rain jacket'],
      ['rain jacket M', 'rain jacket'],
      ['rain jacket L', 'rain jacket'],
    ]);
    expect(fromXml.products).toEqual(fromTsv.products);
    // size and color are not kept: nothing shows them.
    expect(Object.keys(fromTsv.products[0]!)).not.toContain('size');
  });

  it('refuses a second currency in TSV and XML, naming the first item whose currency differs', () => {
    const rows = [jacket('S'), jacket('M'), jacket('L', 'in stock', '99.00 USD'), jacket('XL', 'in stock', '80.00 GBP')];
    expect(refusal(() => parseTsvFeed(tsv([JACKET_HEADER, ...rows]), { now: NOW }))).toBe(
      'line 4 (item "rain jacket L"): price is in USD but the catalog\'s first product (line 2 (item "rain jacket S")) is in EUR; a catalog holds one currency',
    );
    expect(refusal(() => parseXmlFeed(rssFeed(rows.map(xmlItem).join('\n')), { now: NOW }))).toMatch(/^item 3 \(line \d+\) \(item "rain jacket L"\): price is in USD but .* is in EUR/);
  });

  it('refuses an id or item_group_id with a control character, stating the rule', () => {
    const row = jacket('M');
    row[1] = 'rain\u0007jacket';
    expect(refusal(() => parseTsvFeed(tsv([JACKET_HEADER, row]), { now: NOW }))).toContain('field "item_group_id" must be 1-128 characters after trimming');
    expect(refusal(() => parseTsvFeed(tsv([JACKET_HEADER, ['a\u200bb', ...jacket('M').slice(1)]]), { now: NOW }))).toContain('field "id" must be 1-128 characters');
  });

  it('treats ids that differ only by surrounding or repeated whitespace as one id (a duplicate)', () => {
    const text = tsv([JACKET_HEADER, jacket('M'), ['rain  jacket M', ...jacket('M').slice(1)]]);
    expect(refusal(() => parseTsvFeed(text, { now: NOW }))).toBe('line 3: duplicate id "rain jacket M" (first at line 2)');
  });
});
