/**
 * Minimal Node-style assertions for browser tests: no dependency to bundle, and messages that say which
 * backend and which value disagreed.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

const show = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

export function ok(value: unknown, message: string): asserts value {
  if (!value) throw new AssertionError(message);
}

/** `Object.is` equality. */
export function equal<T>(actual: T, expected: T, message: string): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${message}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Structural equality of JSON-representable values. */
export function deepEqual<T>(actual: T, expected: T, message: string): void {
  const a = show(actual);
  const e = show(expected);
  if (a !== e) throw new AssertionError(`${message}:\n  expected ${e}\n  got      ${a}`);
}

/** `|actual - expected| <= rtol * |expected|`. */
export function closeTo(actual: number, expected: number, rtol: number, message: string): void {
  if (!(Math.abs(actual - expected) <= rtol * Math.abs(expected))) {
    throw new AssertionError(`${message}: expected ${expected} (rtol ${rtol}), got ${actual}`);
  }
}

/** Awaits `fn` and returns what it threw; fails if it did not throw. */
export async function rejects(fn: () => unknown, message: string): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new AssertionError(`${message}: expected a rejection, but it resolved`);
}
