/**
 * Gives the page's thread back for a moment (`scheduler.yield()` where the browser has it, which resumes
 * ahead of other tasks, else a `setTimeout(0)`): between the steps of heavy work done on the page (ranking a row,
 * writing its copy, rendering it; the model's work where no worker runs), so input and rendering run in
 * between and no step adds to another's long task.
 */
export function yieldToPage(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Resolves in a task after the browser's next frame (its style, layout and paint), so work done before
 * and after it is laid out in separate frames: a row's first cards, a few per frame. Where no frame comes
 * (no `requestAnimationFrame`, a frame throttled away), after `timeoutMs`.
 */
export function afterNextFrame(timeoutMs = 100): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    if (typeof requestAnimationFrame !== 'function') return;
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(timer);
        resolve();
      }, 0),
    );
  });
}
