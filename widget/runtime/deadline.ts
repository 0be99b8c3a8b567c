/**
 * A deadline on a fetch: shared by the model's, the catalog's and the popular lists' loads. A file of its
 * own so that the engine chunk, which fetches only the popular lists itself, does not carry the model's
 * loader (which runs in the heavy-work worker).
 */

/** `signal`, also aborted after `ms`. */
export function withTimeout(signal: AbortSignal | undefined, ms: number): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer in ${ms} ms`, 'TimeoutError')), ms);
  const forward = (): void => controller.abort(signal!.reason);
  if (signal?.aborted) forward();
  else signal?.addEventListener('abort', forward, { once: true });
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    },
  };
}
