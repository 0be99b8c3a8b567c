/**
 * The note a device in the control arm of a `"control": "none"` experiment leaves for its next page:
 * "this model's rows show nothing here". The loader reads it synchronously before the page's first
 * paint, so those rows never reserve space they would give back (a layout shift) once the engine knows
 * the arm. The engine writes it whenever it learns the arm (`experiment-outcomes.ts`) and removes it when
 * the device is in no such arm, on `forget()` and when storage consent is withdrawn.
 *
 * Where: `localStorage` with storage consent (the arm is kept with the profile, so the next visit's first
 * page collapses too), else `sessionStorage` (the arm is drawn once per session). It holds the model's
 * name only, never leaves the device, and a stale note costs no more than a row that grows into place
 * (an experiment that ended, or a device that moved to the treatment arm): the engine corrects it on that page.
 *
 * The loader's half (read); the engine writes it (`engine/experiment-outcomes.ts` `writeHoldoutHint`, with
 * the same key: the lazy chunk may not import the loader's modules, or the loader would import its chunk).
 * `experiment.browser.test.ts` fails where the two differ (the next page then reserves space).
 */
export const HOLDOUT_HINT_KEY = 'edge-recs:holdout';

/** Whether the last page of this device (or session) found `model`'s rows held out with nothing shown. Never throws. */
export function readHoldoutHint(win: Window, model: string): boolean {
  return (['localStorage', 'sessionStorage'] as const).some((name) => {
    try {
      return win[name].getItem(HOLDOUT_HINT_KEY) === model;
    } catch {
      // Storage denied (a sandboxed frame, blocked site data): nothing can be there.
      return false;
    }
  });
}
