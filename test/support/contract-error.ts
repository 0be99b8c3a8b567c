import { expect } from 'vitest';
import { ContractError } from '../../core/errors.ts';

/** The ContractError `fn` throws, asserting it throws one (with `code`, when given). */
export function thrownContractError(fn: () => unknown, code?: string): ContractError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ContractError);
  if (code !== undefined) expect((err as ContractError).code).toBe(code);
  return err as ContractError;
}

/** The ContractError `promise` rejects with, asserting it rejects with one (with `code`, when given). */
export async function rejectedContractError(promise: Promise<unknown>, code?: string): Promise<ContractError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContractError);
  if (code !== undefined) expect((err as ContractError).code).toBe(code);
  return err as ContractError;
}
