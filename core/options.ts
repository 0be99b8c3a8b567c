/**
 * Option checking for the server's factories (`createApp`, `createFederation`, `createAdmission`,
 * `nginxFrontConfig`): each checks its options once, when it runs, as Hono's own middleware does, and a
 * bad option is a `TypeError` whose message starts with the factory's name, so a stack-less log line
 * still says which call was wrong.
 */
import { isRecord, show } from './errors.ts';

/**
 * Throws one option error. Declare it with this type (`const fail: Fail = ...`): TypeScript treats a call
 * as ending its branch only through an explicitly typed name, so an inferred one loses the narrowing
 * that follows a `fail(...)`.
 */
export type Fail = (message: string) => never;

/**
 * The thrower of one factory's option errors.
 * @example const fail: Fail = optionError('createApp'); fail('trustedKeys must be an array') // TypeError "createApp: trustedKeys must be an array"
 */
export function optionError(factory: string): Fail {
  return (message) => {
    throw new TypeError(`${factory}: ${message}`);
  };
}

/** Whether `value` is an object with a function under each of `names`: how a store or hook passed as an option is recognised. */
export function hasMethods(value: unknown, names: readonly string[]): boolean {
  return isRecord(value) && names.every((n) => typeof value[n] === 'function');
}

/** A positive integer option (`name`: how the factory calls it), or `fallback` when unset. @throws through `fail` otherwise. */
export function positiveInt(fail: Fail, value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`${name} must be a positive integer (got ${show(value)})`);
  return value;
}
