import { describe, expect, it } from 'vitest';
import { topCategory } from '../core/catalog.ts';
import { demoCatalog } from './catalog.ts';
import { categoryInfo } from './categories.ts';
import { initials, productSvg, shiftHue } from './images.ts';
import { escapeMarkup, html, trusted } from './markup.ts';

const products = demoCatalog().products;

/** Well-formed enough for an image decoder: one root, balanced tags, nothing unescaped in text. */
function expectWellFormedSvg(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  const stack: string[] = [];
  for (const [, close, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClosing) stack.push(name!);
  }
  expect(stack).toEqual([]);
  // Between tags only text and entities: a stray "<" or bare "&" would break the XML parser.
  for (const [, text] of svg.matchAll(/>([^<]*)</g)) expect(text).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#39;)/);
}

describe('product images', () => {
  it('draws a well-formed SVG of 1-3 KB for every product', () => {
    for (const p of products) {
      const svg = productSvg(p);
      expectWellFormedSvg(svg);
      expect(svg.length).toBeGreaterThan(1000);
      expect(svg.length).toBeLessThan(3000);
      expect(svg).toContain(categoryInfo(topCategory(p)).ink);
    }
  });

  it('escapes the title and brand, in text and in attributes', () => {
    const p = { ...products[0]!, title: 'Tom & Jerry <"Deluxe"> \'Set\'', brand: 'A&B <Co>' };
    const svg = productSvg(p);
    expectWellFormedSvg(svg);
    expect(svg).toContain('aria-label="Tom &amp; Jerry &lt;&quot;Deluxe&quot;&gt; &#39;Set&#39;"');
    expect(svg).toContain('<title>Tom &amp; Jerry &lt;&quot;Deluxe&quot;&gt; &#39;Set&#39;</title>');
    expect(svg).toContain('A&amp;B &lt;CO&gt;');
    expect(svg).not.toContain('<"Deluxe">');
  });

  it('draws the same image for the same product and varies between products', () => {
    expect(productSvg(products[0]!)).toBe(productSvg({ ...products[0]! }));
    expect(productSvg(products[0]!)).not.toBe(productSvg(products[10]!));
  });

  it('keeps a gradient id that is safe in an attribute and a url() reference', () => {
    const svg = productSvg({ ...products[0]!, id: 'a"b c<d' });
    expect(svg).toContain('id="g-a_b_c_d"');
    expect(svg).toContain('url(#g-a_b_c_d)');
  });

  it('falls back to a neutral look for a category the demo does not know', () => {
    expectWellFormedSvg(productSvg({ ...products[0]!, product_type: 'Garden > Seeds' }));
  });

  it('takes initials from the name without the brand and skips numbers', () => {
    expect(initials({ title: 'Lumen Vitamin C Brightening Serum', brand: 'Lumen' })).toBe('VC');
    expect(initials({ title: 'Piecewise Alpine Lake 1000-Piece Jigsaw', brand: 'Piecewise' })).toBe('AL');
    expect(initials({ title: 'Harbour Empires', brand: 'Meeple Works' })).toBe('HE');
    expect(initials({ title: '3D Wooden Globe Puzzle' })).toBe('WG');
    expect(initials({ title: '1000' })).toBe('?');
  });

  it('shifts hues and leaves greys alone', () => {
    expect(shiftHue('#ff0000', 120)).toBe('#00ff00');
    expect(shiftHue('#ff0000', -120)).toBe('#0000ff');
    expect(shiftHue('#777777', 40)).toBe('#777777');
  });
});

describe('markup', () => {
  it('escapes interpolated values and keeps nested fragments', () => {
    const title = '<script>alert("x")</script>';
    expect(html`<p title="${title}">${title}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>',
    );
    expect(html`<ul>${['a', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.value).toBe('<ul><li>a</li><li>b</li></ul>');
    expect(html`${false}${null}${undefined}${0}`.value).toBe('0');
    expect(html`${trusted('<b>ok</b>')}`.value).toBe('<b>ok</b>');
    expect(escapeMarkup(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
