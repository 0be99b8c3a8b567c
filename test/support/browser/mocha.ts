/**
 * Typed access to the Mocha globals that @web/test-runner installs in the page. Importing them from
 * here, instead of declaring `describe`/`it` as ambient globals, keeps them out of the Node-side
 * (vitest) type space, where they would shadow nothing and hide a forgotten import.
 */
type Body = () => void | Promise<void>;

interface MochaGlobals {
  describe(title: string, body: () => void): void;
  it(title: string, body: Body): void;
  before(body: Body): void;
  after(body: Body): void;
  beforeEach(body: Body): void;
  afterEach(body: Body): void;
}

function mocha(): MochaGlobals {
  const g = globalThis as unknown as Partial<MochaGlobals>;
  if (typeof g.describe !== 'function') {
    throw new Error('Mocha globals are missing: run browser tests with `npx wtr`, not vitest');
  }
  return g as MochaGlobals;
}

export const describe = (title: string, body: () => void): void => mocha().describe(title, body);
export const it = (title: string, body: Body): void => mocha().it(title, body);
export const before = (body: Body): void => mocha().before(body);
export const after = (body: Body): void => mocha().after(body);
export const beforeEach = (body: Body): void => mocha().beforeEach(body);
export const afterEach = (body: Body): void => mocha().afterEach(body);
