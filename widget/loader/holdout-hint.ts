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
 * Kept free of `core/` and of the engine's imports: the loader imports it.
 */
export const HOLDOUT_HINT_KEY = 'edge-recs:holdout';

function storages(win: Window): Array<[Storage, 'local' | 'session']> {
  const out: Array<[Storage, 'local' | 'session']> = [];
  for (const name of ['local', 'session'] as const) {
    try {
      out.push([win[`${name}Storage`], name]);
    } catch {
      // Storage denied (a sandboxed frame, blocked site data): nothing can be there.
    }
  }
  return out;
}

/** Whether the last page of this device (or session) found `model`'s rows held out with nothing shown. Never throws. */
export function readHoldoutHint(win: Window, model: string): boolean {
  return storages(win).some(([s]) => {
    try {
      return s.getItem(HOLDOUT_HINT_KEY) === model;
    } catch {
      return false;
    }
  });
}

/**
 * Leaves (`on`) or removes the note for `model`: in `localStorage` where `persistent` (storage consent),
 * else in `sessionStorage`; the other one's copy is removed. Never throws.
 */
export function writeHoldoutHint(win: Window, model: string, on: boolean, persistent: boolean): void {
  for (const [s, name] of storages(win)) {
    try {
      const keep = on && (name === 'local') === persistent;
      if (keep) s.setItem(HOLDOUT_HINT_KEY, model);
      else s.removeItem(HOLDOUT_HINT_KEY);
    } catch {
      // Full or denied: the next page reserves space as usual.
    }
  }
}
