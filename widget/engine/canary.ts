/**
 * The session's canary bucket. While the edge server runs a canary (`PUT /v1/admin/models/:name/canary`),
 * a manifest request whose `?bucket=` is below the canary's percentage gets the canary version.
 * Drawing the bucket once per session and sending it with every manifest request keeps a shopper on one
 * version from page to page, rather than a coin flip per page view.
 *
 * Privacy: the bucket is a random number from 0 to 99, drawn on the device, kept in `sessionStorage` (so
 * it ends with the tab) and only where storing is allowed; otherwise it lives in memory for the page view.
 * It is never derived from anything about the shopper, never sent anywhere but the manifest request, and
 * never put in metrics. With a hundred values shared by every shopper it identifies no one, and a new
 * session draws afresh, so it is no stable identifier.
 */
const KEY = 'edge-recs:canary-bucket';
const BUCKET = /^\d{1,2}$/;

/** The draw of this page view when it cannot be kept in `sessionStorage`. */
let memory: number | undefined;

/** A uniform draw from 0-99 (the modulo bias of a 32-bit draw is below one in forty million). */
function draw(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! % 100;
}

/**
 * This session's bucket: the one kept in `sessionStorage` when `store` allows it and there is one, else
 * this page view's draw (kept there when `store` allows it). Never throws: storage that is disabled,
 * full or denied leaves the bucket in memory.
 */
export function sessionBucket(store: boolean): number {
  if (store) {
    try {
      const kept = sessionStorage.getItem(KEY);
      if (kept !== null && BUCKET.test(kept)) return (memory = Number(kept));
    } catch {
      // Storage unavailable: the page view's own draw below.
    }
  }
  memory ??= draw();
  if (store) {
    try {
      sessionStorage.setItem(KEY, String(memory));
    } catch {
      // Kept in memory only.
    }
  }
  return memory;
}

/** Removes the kept bucket (`forget()`, consent withdrawn); the page keeps its draw in memory. */
export function forgetBucket(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing can have been kept.
  }
}
