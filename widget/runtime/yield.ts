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
