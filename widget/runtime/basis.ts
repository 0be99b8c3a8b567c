/**
 * What a ranking reads of a shopper's history: the newest `maxLen` items the model knows, oldest first.
 * One rule for the runtime on this thread (`index.ts`) and for the page's proxy of a runtime in the
 * heavy-work worker (`ranking/worker-work.ts`), so "why this" names the same items wherever the model runs.
 * No tfjs here: the proxy's chunk must not pull it in.
 */
export function modelBasis(history: readonly string[], known: { has(id: string): boolean }, maxLen: number): string[] {
  return history.filter((id) => known.has(id)).slice(-maxLen);
}
