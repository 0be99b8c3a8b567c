import { describe, expect, it } from 'vitest';
import { rawProduct } from '../test/support/catalog-product.ts';
import { thrownContractError } from '../test/support/contract-error.ts';
import { catalogUrl, cleanText, parseProduct } from './catalog.ts';
import { parseCatalogText, type CatalogFormat } from './catalog-text.ts';

const product = rawProduct;

/** A one-product catalog in each upload format, with `link` and `title` as given (raw text). */
function catalogIn(format: CatalogFormat, fields: { link?: string; image_link?: string; title?: string } = {}, count = 1): string {
  const p = { link: '/p/1', image_link: '/i/1.jpg', title: 'Mug', ...fields };
  const ids = Array.from({ length: count }, (_, i) => `sku-${i + 1}`);
  if (format === 'json') return JSON.stringify({ updatedAt: '2026-01-01T00:00:00Z', products: ids.map((id) => ({ id, title: p.title, link: p.link, image_link: p.image_link, price: 5, currency: 'EUR', availability: 'in_stock', product_type: 'Home' })) });
  if (format === 'tsv') {
    // TSV quotes a field holding a tab or line break, as Merchant Center does.
    const q = (v: string): string => (/[\t\n\r"]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    return ['id\ttitle\tlink\timage_link\tprice\tavailability\tproduct_type', ...ids.map((id) => [id, q(p.title), q(p.link), q(p.image_link), '5 EUR', 'in stock', 'Home'].join('\t'))].join('\n');
  }
  const x = (v: string): string => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `&#${c.charCodeAt(0)};`);
  const items = ids.map((id) => `<item><g:id>${id}</g:id><g:title>${x(p.title)}</g:title><g:link>${x(p.link)}</g:link><g:image_link>${x(p.image_link)}</g:image_link><g:price>5 EUR</g:price><g:availability>in stock</g:availability><g:product_type>Home</g:product_type></item>`);
  return `<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>\n${items.join('\n')}\n</channel></rss>`;
}

const FORMATS = ['json', 'tsv', 'xml'] as const;
const refusal = (fn: () => unknown, code = 'bad_catalog'): string => thrownContractError(fn, code).message;

describe('catalog URLs: http(s) only, as the browser parses them', () => {
  it.each([
    ['https://shop.example/p/1', 'https://shop.example/p/1'],
    ['http://shop.example/p/1?size=L#top', 'http://shop.example/p/1?size=L#top'],
    ['/p/1', '/p/1'],
    ['p/1', 'p/1'],
    ['?size=L', '?size=L'],
    // Takes the page's scheme, which is http(s): no more than an absolute https URL to that host can do.
    ['//cdn.example/i/1.jpg', '//cdn.example/i/1.jpg'],
    ['HTTPS://SHOP.EXAMPLE/P/1', 'HTTPS://SHOP.EXAMPLE/P/1'],
    // What the parser ignores is removed: a tab or line break inside, spaces at the ends.
    ['  https://shop.example/p/\n1 ', 'https://shop.example/p/1'],
    // Not a scheme to the parser (no ASCII letter first): a relative path, harmless.
    ['\u00a0javascript:alert(1)', '\u00a0javascript:alert(1)'],
    ['javascript&colon;alert(1)', 'javascript&colon;alert(1)'],
  ])('accepts %j', (raw, stored) => {
    expect(catalogUrl(raw)).toEqual({ url: stored });
  });

  it.each([
    ['javascript:alert(1)', 'javascript:'],
    ['JaVaScRiPt:alert(1)', 'javascript:'],
    ['\tjavascript:alert(1)', 'javascript:'],
    ['\n\njavascript:alert(1)', 'javascript:'],
    ['\u0000\u0001 javascript:alert(1)', 'javascript:'],
    ['java\tscript:alert(1)', 'javascript:'],
    ['java\nscr\ript:alert(1)', 'javascript:'],
    ['javascript\t:alert(1)', 'javascript:'],
    ['data:text/html,<script>alert(1)</script>', 'data:'],
    ['DATA:image/svg+xml;base64,PHN2Zz4=', 'data:'],
    ['vbscript:msgbox(1)', 'vbscript:'],
    ['blob:https://shop.example/0d8f', 'blob:'],
    ['file:///etc/passwd', 'file:'],
    ['mailto:a@b.example', 'mailto:'],
    ['ftp://shop.example/x', 'ftp:'],
    ['ws://shop.example/', 'ws:'],
    ['about:blank', 'about:'],
    ['view-source:https://shop.example/', 'view-source:'],
    ['intent://x#Intent;end', 'intent:'],
  ])('refuses %j (scheme %s)', (raw, scheme) => {
    expect(catalogUrl(raw)).toEqual({ refused: `has the scheme "${scheme}"` });
  });

  it('refuses credentials, which only serve to make a link look like another host', () => {
    expect(catalogUrl('https://shop.example@evil.example/p/1')).toEqual({ refused: 'holds credentials (user@host)' });
  });

  it.each(FORMATS)('refuses a javascript: link or data: image in a %s catalog with a 400 message naming the line or item and the field', (format) => {
    const where = { json: /^catalog\.products\[0\] "sku-1": /, tsv: /^line 2 "sku-1": /, xml: /^item 1 \(line 2\) "sku-1": / }[format];
    const link = refusal(() => parseCatalogText(catalogIn(format, { link: '\tJaVa\nScRiPt:alert(document.domain)' }), format));
    expect(link).toMatch(where);
    expect(link).toContain('field "link" has the scheme "javascript:"');
    expect(link).toContain('it must be an http(s) URL, absolute ("https://shop.example/p/1") or relative to the shop ("/p/1")');
    const image = refusal(() => parseCatalogText(catalogIn(format, { image_link: 'data:image/svg+xml,<svg onload=alert(1)>' }), format));
    expect(image).toMatch(where);
    expect(image).toContain('field "image_link" has the scheme "data:"');
  });

  it('refuses a scheme spelled with XML character references, which the feed decodes before the check', () => {
    const feed = catalogIn('xml').replace('<g:link>/p/1</g:link>', '<g:link>&#106;avascript&#x3A;alert(1)</g:link>');
    expect(refusal(() => parseCatalogText(feed, 'xml'))).toContain('field "link" has the scheme "javascript:"');
  });
});

describe('catalog text: direction and control characters cannot spoof', () => {
  it('removes bidirectional overrides, isolates, marks, C0 and C1 controls; keeps joiners; line breaks become spaces', () => {
    expect(cleanText('Cheap\u202E 99.00 \u202Cmug')).toBe('Cheap 99.00 mug');
    expect(cleanText('\u2066a\u2067b\u2068c\u2069 \u200Ed\u200F\u061Ce\u202A\u202B\u202D')).toBe('abc de');
    expect(cleanText('a\u0000b\u0007c\u001Bd\u007Fe\u0085f\u009Bg\uFEFFh')).toBe('abcde fgh');
    expect(cleanText('Line one\r\nline\ttwo\u2028three')).toBe('Line one line two three');
    // ZWNJ in Persian and ZWJ in an emoji sequence are part of the text.
    expect(cleanText('می\u200Cخواهم 👩\u200D💻')).toBe('می\u200Cخواهم 👩\u200D💻');
  });

  it('removes every other invisible character that can hide text in a title: tags, fillers, soft hyphens, invisible operators', () => {
    expect(cleanText('Mug\u{E0041}\u{E0042}\u{E007F} blue')).toBe('Mug blue');
    expect(cleanText('a\u206Ab\u206Fc\u180Ed\u00ADe\u3164f\u115Fg\u200Bh\u2062i\uFFA0j')).toBe('abcdefghij');
    // Variation selectors stay: emoji presentation and ideographic variants need them.
    expect(cleanText('\u2764\uFE0F 葛\u{E0100}')).toBe('\u2764\uFE0F 葛\u{E0100}');
  });

  it.each(FORMATS)('cleans title in a %s catalog and refuses a title that is nothing but such characters', (format) => {
    const [p] = parseCatalogText(catalogIn(format, { title: 'Mug \u202Egnp.exe\u202C (blue)' }), format).products;
    expect(p!.title).toBe('Mug gnp.exe (blue)');
    expect(refusal(() => parseCatalogText(catalogIn(format, { title: '\u202E\u2066' }), format))).toContain('field "title" is empty once control and direction characters are removed');
  });

  it('cleans brand and category', () => {
    const p = parseProduct(product({ brand: 'Ac\u202Eme', product_type: 'Home\u2067 > Kitchen' }));
    expect([p.brand, p.product_type]).toEqual(['Acme', 'Home > Kitchen']);
  });
});

describe('catalog caps', () => {
  it.each(FORMATS)('refuses a %s catalog over maxItems with too_many_items naming the limit', (format) => {
    expect(parseCatalogText(catalogIn(format, {}, 3), format, { maxItems: 3 }).products).toHaveLength(3);
    expect(refusal(() => parseCatalogText(catalogIn(format, {}, 4), format, { maxItems: 3 }), 'too_many_items')).toBe('catalog: more than 3 products, the limit (maxCatalogItems); split the catalog or raise the limit');
  });

  it('refuses empty XML items by the cap before reading any of them as a product', () => {
    const feed = `<rss><channel>${'<item></item>'.repeat(50)}<item/></channel></rss>`;
    expect(refusal(() => parseCatalogText(feed, 'xml', { maxItems: 40 }), 'too_many_items')).toContain('more than 40 products');
    expect(refusal(() => parseCatalogText(`<feed>${'<entry/>'.repeat(41)}</feed>`, 'xml', { maxItems: 40 }), 'too_many_items')).toContain('more than 40 products');
  });

  it('refuses JSON that would build more values than the cap allows, before parsing it', () => {
    const zeros = `{"products": [${Array(200).fill('{}').join(',')}]}`;
    expect(refusal(() => parseCatalogText(zeros, 'json', { maxItems: 10 }), 'too_many_items')).toContain('more than 10 products');
    const flat = `{"products": [], "x": [${Array(400).fill(0).join(',')}]}`;
    expect(refusal(() => parseCatalogText(flat, 'json', { maxItems: 10 }), 'too_many_items')).toContain('more than 10 products');
  });

  it('refuses JSON nested 6,000 deep, anywhere in the document, with a 4xx code (too_deep), and brackets inside strings do not count', () => {
    const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
    for (const text of [deep, `{"products": ${deep}}`, `{"products": [{"id": "a", "title": ${deep}}]}`]) {
      expect(refusal(() => parseCatalogText(text, 'json'), 'too_deep')).toContain('nested more than 64 levels deep');
    }
    const quoted = JSON.stringify({ updatedAt: '2026-01-01T00:00:00Z', products: [product({ title: `a "[[[[\\" ${'['.repeat(100)}` })] });
    expect(parseCatalogText(quoted, 'json').products[0]!.title).toContain('[[[[');
  });

  it('describes a deeply nested field value by its kind, without walking it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(refusal(() => parseProduct(product({ title: deep })))).toBe('product "sku-1": field "title" must be text (got an array)');
    expect(refusal(() => parseProduct(product({ availability: deep })))).toContain('(got an array)');
    expect(refusal(() => parseProduct(deep))).toBe('product: expected an object (got an array)');
  });
});
