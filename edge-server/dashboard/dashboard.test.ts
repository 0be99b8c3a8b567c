import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createApp, type AppOptions } from '../app.ts';
import { createMemoryStorage } from '../models/memory-storage.ts';
import { publishArtifact } from '../models/registry.ts';
import { expectError, memoryWidget, signer, tinyArtifact } from '../../test/support/edge-server/fixtures.ts';
import { barChart, columnChart, FONT_SIZE, lineChart, textWidth } from './charts.ts';

const TOKEN = 'admin-token-0123456789abcdef';
const ADMIN = { Authorization: `Bearer ${TOKEN}` };

async function setup(overrides: Partial<AppOptions> = {}): Promise<Hono> {
  const storage = createMemoryStorage();
  const { key, trusted } = await signer();
  await publishArtifact(storage, await tinyArtifact(key, 'v1'), { trusted });
  await publishArtifact(storage, await tinyArtifact(key, 'v2', 2), { trusted });
  return createApp({ storage, trustedKeys: trusted, widget: memoryWidget({}), adminTokens: [TOKEN], ...overrides });
}

/** The federated engineer's `GET /v1/admin/rounds`, as a real route mounted beside the core ones. */
const withRounds = (rounds: unknown[]): Partial<AppOptions> => ({
  mount: (app) => app.get('/v1/admin/rounds', (c) => c.json({ rounds })),
});

async function login(app: Hono, token = TOKEN, fields: Record<string, string> = {}): Promise<Response> {
  return app.request('/dashboard/login', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, ...fields }).toString() });
}

describe('GET /dashboard', () => {
  it('shows a login form (401) to a browser without credentials, and a JSON 401 to other clients', async () => {
    const app = await setup();
    const page = await app.request('/dashboard', { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(401);
    expect(page.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<form method="post" action="/dashboard/login">');
    await expectError(await app.request('/dashboard'), 401, 'unauthorized');
    await expectError(await app.request('/dashboard', { headers: { Authorization: 'Bearer wrong-token-0123456789' } }), 403, 'forbidden');
  });

  it('signs in with the token through the form: an HttpOnly SameSite=Strict cookie for /dashboard only, then the page', async () => {
    const app = await setup();
    const wrong = await login(app, 'not-the-token-0123456789');
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('Set-Cookie')).toBeNull();
    expect(await wrong.text()).toContain('That token is not valid.');

    const res = await login(app);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/dashboard');
    const cookie = res.headers.get('Set-Cookie')!;
    expect(cookie).toMatch(/^edge_recs_admin=[\w-]{22}\.\d+\.[\w-]{43}; Max-Age=28800; Path=\/dashboard; HttpOnly; SameSite=Strict$/);
    const session = cookie.split(';')[0]!;
    const page = await app.request('/dashboard', { headers: { Cookie: session, Accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1>EdgeRecs dashboard</h1>');

    // The session reads admin data but never changes anything: SameSite=Strict plus GET-only.
    expect((await app.request('/v1/admin/models/default/versions', { headers: { Cookie: session } })).status).toBe(200);
    await expectError(await app.request('/v1/admin/models/default/rollback', { method: 'POST', headers: { Cookie: session } }), 401, 'unauthorized');

    const out = await app.request('/dashboard/logout', { method: 'POST', headers: { Cookie: session } });
    expect(out.status).toBe(303);
    expect(out.headers.get('Set-Cookie')).toMatch(/^edge_recs_admin=; Max-Age=0; Path=\/dashboard/);
  });

  it('keeps the model of /dashboard?model= through the sign-in form and its redirect', async () => {
    const app = await setup();
    const form = await (await app.request('/dashboard?model=shop.v2-eu', { headers: { Accept: 'text/html' } })).text();
    expect(form).toContain('<form method="post" action="/dashboard/login"><input type="hidden" name="model" value="shop.v2-eu">');
    const res = await login(app, TOKEN, { model: 'shop.v2-eu' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/dashboard?model=shop.v2-eu');
    // A wrong token keeps it for the next try.
    expect(await (await login(app, 'not-the-token-0123456789', { model: 'shop' })).text()).toContain('<input type="hidden" name="model" value="shop">');
  });

  it.each(['//evil.example', 'https://evil.example/', '/\\evil.example', 'shop&next=//evil.example', 'shop\r\nLocation: //evil.example', '<b>', '', 'x'.repeat(65)])(
    'redirects a sign-in with model %j to /dashboard only (never another path or origin)',
    async (model) => {
      const app = await setup();
      const res = await login(app, TOKEN, { model });
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toBe('/dashboard');
      expect(await (await app.request(`/dashboard?model=${encodeURIComponent(model)}`, { headers: { Accept: 'text/html' } })).text()).not.toContain('name="model" value=');
    },
  );

  it('renders versions, CTR, conversion and revenue by placement, variant and model version, with a script-free CSP', async () => {
    const app = await setup({ analytics: { suppressBelow: 5 } });
    const counters = [
      { placement: 'for-you', modelVersion: 'v2', variant: 'viewed.1', event: 'impression', count: 400 },
      { placement: 'for-you', modelVersion: 'v2', variant: 'viewed.1', event: 'click', count: 40 },
      { placement: 'for-you', modelVersion: 'v2', variant: 'viewed.1', event: 'purchase', count: 8 },
      { placement: 'cart', modelVersion: 'v1', variant: 'none', event: 'impression', count: 100 },
      { placement: 'cart', modelVersion: 'v1', variant: 'none', event: 'click', count: 2 },
    ];
    const revenue = [
      { placement: 'for-you', modelVersion: 'v2', variant: 'viewed.1', currency: 'EUR', orders: 8, purchases: 8, amount: 24_000 },
      { placement: 'cart', modelVersion: 'v1', variant: 'none', currency: 'EUR', orders: 2, purchases: 2, amount: 5_000 },
    ];
    await app.request('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'default', counters, revenue }) });
    const res = await app.request('/dashboard?model=default', { headers: ADMIN });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Security-Policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const html = await res.text();
    expect(html).not.toContain('<script');
    expect(html).toMatch(/<code>v2<\/code> <span class="badge">current<\/span>/);
    expect(html).toContain('CTR and conversion by placement and copy variant');
    expect(html).toContain('<td>for-you</td><td><code>viewed.1</code></td><td class="n">400</td><td class="n">40</td>');
    // CTR, conversion, revenue, revenue per impression and per click of the for-you row (8 orders, 240.00 EUR).
    expect(html).toContain('<td class="n">10.00%</td><td class="n">20.00%</td><td class="n">240.00 EUR</td><td class="n">0.60 EUR</td><td class="n">6.00 EUR</td>');
    // The same by model version, and by placement, version and variant.
    expect(html).toMatch(/<tr><td><code>v2<\/code><\/td><td class="n">400<\/td>.*?<td class="n">240\.00 EUR<\/td>/);
    expect(html).toContain('<tr><td>for-you</td><td><code>v2</code></td><td><code>viewed.1</code></td><td class="n">400</td>');
    expect(html).toContain('Revenue per click (EUR) by placement and copy variant');
    // 2 purchases are below k = 5: the cart row's revenue is hidden.
    expect(html).toMatch(/<td class="n"><span class="muted" title="suppressed: fewer purchases behind this revenue than the threshold">&lt;k<\/span> EUR<\/td>/);
    expect(html).not.toContain('50.00 EUR');
    // 2 clicks are below k = 5: shown as "<k", and the cart's CTR is not computed from it.
    expect(html).toMatch(/<td>cart<\/td><td><code>none<\/code><\/td><td class="n">100<\/td><td class="n"><span class="muted" title="suppressed[^"]*">&lt;k<\/span>/);
    expect(html).toContain('Federated rounds are not available on this server.');
    // The figures' footnote says what an impression is, as the widget counts it (widget/element/viewability.ts).
    expect(html).toContain('Impressions are viewable impressions (IAB/MRC): a card counts one once at least 50% of it has been in view for 1 continuous second while the tab was visible.');
  });

  it('charts federated rounds and epsilon from GET /v1/admin/rounds, and says so when none closed yet', async () => {
    const rounds = [
      { model: 'default', round: 1, closedAt: '2026-03-01T10:00:00Z', updates: 120, epsilon: 0.4, totalEpsilon: 0.4, version: 'v2' },
      { model: 'default', round: 2, closedAt: '2026-03-02T10:00:00Z', updates: 150, sources: 61, epsilon: 0.4, totalEpsilon: 0.75, version: 'v3' },
      { model: 'other', round: 9, closedAt: '2026-03-02T10:00:00Z', updates: 1, epsilon: 9, totalEpsilon: 9, version: 'x' },
    ];
    const app = await setup(withRounds(rounds));
    const html = await (await app.request('/dashboard', { headers: ADMIN })).text();
    expect(html).toContain('Privacy budget spent (epsilon)');
    expect(html).toContain('<td class="n">2</td><td>2026-03-02T10:00:00Z</td><td class="n">150</td><td class="n">61</td><td class="n">0.400</td><td class="n">0.750</td><td><code>v3</code></td>');
    // A round recorded before sources were counted says so with a dash.
    expect(html).toContain('<td class="n">120</td><td class="n">–</td>');
    expect(html).not.toContain('<code>x</code>');
    const empty = await setup(withRounds([]));
    expect(await (await empty.request('/dashboard', { headers: ADMIN })).text()).toContain('No federated round has closed for this model yet.');
  });

  it('shows a count of 0 as 0, not "<k", and a rate with nothing to divide by as "–" (k = 1, a test shop)', async () => {
    const app = await setup({ analytics: { suppressBelow: 1 } });
    const counters = [
      { placement: 'similar', modelVersion: 'v2', variant: 'viewed.1', event: 'impression', count: 6 },
      { placement: 'similar', modelVersion: 'v2', variant: 'viewed.1', event: 'click', count: 2 },
      { placement: 'cart', modelVersion: 'v2', variant: 'none', event: 'impression', count: 3 },
    ];
    await app.request('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ model: 'default', counters }) });
    const html = await (await app.request('/dashboard?model=default', { headers: ADMIN })).text();
    // Impressions, clicks, add-to-carts, purchases, CTR, conversion: no purchase after 2 clicks is 0%.
    expect(html).toContain('<td>similar</td><td><code>viewed.1</code></td><td class="n">6</td><td class="n">2</td><td class="n">0</td><td class="n">0</td><td class="n">33.33%</td><td class="n">0.00%</td>');
    // The cart row was never clicked: 0 clicks, CTR 0%, and no conversion to speak of.
    expect(html).toContain('<td>cart</td><td><code>none</code></td><td class="n">3</td><td class="n">0</td><td class="n">0</td><td class="n">0</td><td class="n">0.00%</td><td class="n">–</td>');
    expect(html).not.toContain('&lt;k</span></td>');
    expect(html).toContain('Every count and all revenue are shown (k = 1).');
  });

  it('shows all revenue at k = 1, so its three tables add up to the same total (shares of orders credited to another row too)', async () => {
    const app = await setup({ analytics: { suppressBelow: 1 } });
    const key = (placement: string, modelVersion: string, variant: string) => ({ placement, modelVersion, variant });
    const similar = key('similar', 'v1', 'bestseller.0');
    const cart = key('cart', 'v2', 'none');
    const forYou = key('for-you', 'v2', 'viewed.1');
    const counters = [
      { ...similar, event: 'click', count: 4 },
      { ...similar, event: 'purchase', count: 3 },
      { ...cart, event: 'click', count: 1 },
      { ...cart, event: 'purchase', count: 1 },
      { ...forYou, event: 'click', count: 1 },
      { ...forYou, event: 'purchase', count: 1 },
    ];
    // Three orders credited to the similar row; the cart and for-you rows hold lines of them, no order.
    const revenue = [
      { ...similar, currency: 'USD', orders: 3, purchases: 3, amount: 58_842 },
      { ...cart, currency: 'USD', orders: 0, purchases: 1, amount: 1_990 },
      { ...forYou, currency: 'USD', orders: 0, purchases: 1, amount: 1_330 },
    ];
    expect((await app.request('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ model: 'default', counters, revenue }) })).status).toBe(202);
    const html = await (await app.request('/dashboard?model=default', { headers: ADMIN })).text();
    const revenueTotal = (heading: string): number => {
      const table = html.slice(html.indexOf(`<h3>${heading}</h3>`)).match(/<table>(.*?)<\/table>/s)![1]!;
      const rows = [...table.matchAll(/<tr><td>(.*?)<\/tr>/gs)];
      expect(rows.length).toBeGreaterThan(0);
      return rows.reduce((sum, [row]) => {
        const cell = [...row.matchAll(/<td class="n">(.*?)<\/td>/g)][6]![1]!;
        expect(cell).toMatch(/^\d+\.\d\d USD$/);
        return sum + Math.round(Number.parseFloat(cell) * 100);
      }, 0);
    };
    expect(['By placement and copy variant', 'By model version', 'By placement, model version and copy variant'].map(revenueTotal)).toEqual([62_162, 62_162, 62_162]);
    expect(html).not.toContain('&lt;k');
    expect(html).toContain('Every count and all revenue are shown (k = 1).');
  });

  it('shows empty states for a model with nothing published or counted, and refuses a bad model name', async () => {
    const app = await setup();
    const html = await (await app.request('/dashboard?model=nothing', { headers: ADMIN })).text();
    expect(html).toContain('No model named <code>nothing</code> is published yet');
    expect(html).toContain('No metrics received for this model from');
    await expectError(await app.request('/dashboard?model=%3Cscript%3E', { headers: ADMIN }), 400, 'bad_model');
  });
});

interface Box {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * Every label of each chart in `html` as the box it takes: its x and y, its anchor and the width
 * `textWidth` gives it, from a little above the font's ascent to below its descent.
 */
function labelBoxes(html: string): Box[][] {
  return [...html.matchAll(/<svg [^>]*>(.*?)<\/svg>/gs)].map(([, svg]) =>
    [...svg!.matchAll(/<text x="([\d.]+)" y="([\d.]+)" text-anchor="(start|middle|end)">(?:<title>.*?<\/title>)?(.*?)<\/text>/g)].map(([, x, y, anchor, raw]) => {
      const text = raw!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
      const w = textWidth(text);
      const left = Number(x) - (anchor === 'end' ? w : anchor === 'middle' ? w / 2 : 0);
      return { text, left, right: left + w, top: Number(y) - FONT_SIZE, bottom: Number(y) + FONT_SIZE * 0.3 };
    }),
  );
}

function overlaps(boxes: Box[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i]!, boxes[j]!];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(`${a.text} / ${b.text}`);
    }
  }
  return out;
}

describe('chart labels', () => {
  const variants = (n: number): string[] => Array.from({ length: n }, (_, i) => `${['similar', 'for-you', 'cart', 'recently-viewed'][i % 4]} · ${['bestseller', 'viewed', 'cart', 'trending'][i % 3]}.${i}`);
  const values = (n: number): number[] => Array.from({ length: n }, (_, i) => ((i * 37) % 100) / 400);

  it.each([1, 2, 5, 12, 40, 200])('never overlap in a bar chart of %i placement · variant categories, and each has its own row', (n) => {
    const svg = barChart({ title: 't', x: variants(n), series: [{ label: 'CTR', values: values(n) }, { label: 'conversion', values: values(n).reverse() }], format: (v) => `${(v * 100).toFixed(1)}%` });
    const [boxes] = labelBoxes(svg);
    expect(boxes!.filter((b) => variants(n).includes(b.text))).toHaveLength(n);
    expect(overlaps(boxes!)).toEqual([]);
    expect(Math.min(...boxes!.map((b) => b.left))).toBeGreaterThanOrEqual(0);
  });

  it('never overlap in any chart of the dashboard of a shop with many copy variants', async () => {
    const app = await setup({ analytics: { suppressBelow: 1 } });
    // Variant ids of the closed set the server takes (template index 0-7).
    const counters = variants(24).map((label) => label.replace(/\.(\d+)$/, (_, n: string) => `.${Number(n) % 8}`)).flatMap((label, i) => {
      const [placement, variant] = label.split(' · ') as [string, string];
      return [
        { placement, modelVersion: i % 2 ? 'v1' : 'v2', variant, event: 'impression', count: 100 + i },
        { placement, modelVersion: i % 2 ? 'v1' : 'v2', variant, event: 'click', count: 3 + (i % 7) },
        { placement, modelVersion: i % 2 ? 'v1' : 'v2', variant, event: 'purchase', count: 1 + (i % 3) },
      ];
    });
    const revenue = counters.filter((c) => c.event === 'purchase').map(({ placement, modelVersion, variant }, i) => ({ placement, modelVersion, variant, currency: 'USD', orders: 1, purchases: 1, amount: 1_000 + i }));
    expect((await app.request('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'default', counters, revenue }) })).status).toBe(202);
    const html = await (await app.request('/dashboard?model=default', { headers: ADMIN })).text();
    expect(html).toContain('CTR and conversion by placement and copy variant');
    const charts = labelBoxes(html);
    expect(charts.length).toBeGreaterThanOrEqual(5);
    for (const boxes of charts) expect(overlaps(boxes)).toEqual([]);
    expect(charts.flat().some((b) => b.text === 'similar · bestseller.0')).toBe(true);
  });

  it('shortens a label too long for the label column, keeping it whole as a tooltip', () => {
    const long = `similar · ${'very-long-copy-variant-name.'.repeat(6)}0`;
    const svg = barChart({ title: 't', x: [long, 'cart · none'], series: [{ label: 's', values: [0.1, 0.2] }] });
    expect(svg).toContain(`<title>${long}</title>similar · very-long`);
    expect(svg).toMatch(/…<\/text>/);
    const [boxes] = labelBoxes(svg);
    expect(overlaps(boxes!)).toEqual([]);
    expect(Math.min(...boxes!.map((b) => b.left))).toBeGreaterThanOrEqual(0);
  });

  it.each([1, 7, 12, 31, 90, 400])('never overlap along the x axis of a line and a column chart of %i days', (n) => {
    const days = Array.from({ length: n }, (_, i) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10));
    for (const chart of [lineChart, columnChart]) {
      const svg = chart({ title: 't', x: days, series: [{ label: 'impressions', values: days.map((_, i) => 1000 + i * 997) }] });
      const [boxes] = labelBoxes(svg);
      expect(boxes!.some((b) => b.text === days[0])).toBe(true);
      expect(overlaps(boxes!)).toEqual([]);
    }
  });
});

describe('SVG charts', () => {
  it('draws one polyline per series with gaps at nulls, and escapes labels', () => {
    const svg = lineChart({ title: 'A <b>', x: ['d1', 'd2', 'd3', 'd4'], series: [{ label: 'x&y', values: [1, 2, null, 4] }] });
    expect(svg).toContain('<figcaption>A &#60;b&#62;</figcaption>');
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg).toContain('x&#38;y');
  });

  it('draws one bar per non-null value, and an empty state without data', () => {
    expect(barChart({ title: 't', x: ['a', 'b'], series: [{ label: 's', values: [3, null] }, { label: 'u', values: [1, 2] }] }).match(/<rect/g)).toHaveLength(3);
    expect(barChart({ title: 't', x: ['a'], series: [{ label: 's', values: [null] }] })).toContain('No data to show yet.');
  });
});

describe('the dashboard\'s experiment section', () => {
  it('says how to start one where none has run, and shows <k and no uplift while an arm is suppressed', async () => {
    const app = await setup();
    const html = async () => (await app.request('/dashboard?model=default', { headers: ADMIN })).text();
    expect(await html()).toContain('No experiment has run for this model. Start one to measure what recommendations earn against a control group: <code>edge-recs experiment start --model default');
    const json = { ...ADMIN, 'Content-Type': 'application/json' };
    expect((await app.request('/v1/admin/models/default/experiment', { method: 'PUT', headers: json, body: JSON.stringify({ name: 'spring-test', holdout: 0.1, control: 'none' }) })).status).toBe(201);
    const batch = { model: 'default', counters: [], experiments: [{ experiment: 'spring-test', arm: 'treatment', sessions: 50, cartSessions: 5, purchaseSessions: 4, orders: 4 }, { experiment: 'spring-test', arm: 'control', sessions: 3, cartSessions: 0, purchaseSessions: 0, orders: 0 }] };
    expect((await app.request('/v1/metrics', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch) })).status).toBe(202);
    const page = await html();
    expect(page).toContain('are shown no recommendations (the rows collapse and reserve no space)');
    expect(page).toMatch(/<tr><th scope="row">control<\/th><td class="n"><span class="muted" title="suppressed: below the threshold">&lt;k<\/span>/);
    expect(page).toContain('<strong>Verdict:</strong> Not enough data yet: each arm needs at least 10 sessions');
    expect(page).toMatch(/<th scope="row">conversion rate<\/th><td class="n">–<\/td>/);
  });
});

describe('lineChart with a band', () => {
  it('draws the band as an area under the line, takes negative values with 0 on the axis, and names the interval in each tooltip', () => {
    const svg = lineChart({ title: 'Uplift', x: ['d1', 'd2', 'd3'], series: [{ label: 'rate', values: [-0.1, 0.05, 0.1], band: { lower: [-0.4, -0.2, 0.02], upper: [0.2, 0.3, 0.18] } }], format: (v) => `${Math.round(v * 100)}%` });
    expect(svg.match(/<polygon /g)).toHaveLength(1);
    expect(svg).toContain('>0%</text>');
    expect(svg).toContain('>-40%</text>');
    expect(svg).toContain('<title>rate · d1: -10% (-40% to 20%)</title>');
    // A gap in the band splits its area.
    const gappy = lineChart({ title: 'U', x: ['a', 'b', 'c'], series: [{ label: 's', values: [1, 2, 3], band: { lower: [0, null, 2], upper: [2, null, 4] } }] });
    expect(gappy.match(/<polygon /g)).toHaveLength(2);
  });
});
