/**
 * Viewable impressions, by the industry's definition: the IAB/MRC display viewability guideline (MRC
 * "Viewable Ad Impression Measurement Guidelines", 2014) counts a display ad as viewed when at least 50%
 * of its pixels are in view for at least one continuous second, in a tab that is visible. A card is
 * counted the same way, so a row that was replaced, or scrolled past, before the shopper could have seen
 * it counts nothing (on a first visit the fallback row shows for well under a second before the model's
 * row takes its place), and the counts compare with a merchant's other display measurements.
 */

/** Share of the card's pixels that must be in the viewport (IntersectionObserver ratio). */
const VIEWABLE_RATIO = 0.5;
/** How long, continuously, in milliseconds. */
const VIEWABLE_MS = 1_000;

interface Slot<T> {
  item: T;
  /** `identify(item)`: the card's identity; a slot that shows another one starts its clock afresh. */
  id: string;
  /** At least `VIEWABLE_RATIO` of the element in the viewport, as IntersectionObserver last said. */
  inView: boolean;
  /** Since when the clock runs (`performance.now()`), and its timer. */
  since?: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Watches one row's card elements and calls `count` once per card identity, the first time that card has
 * been at least half in view for `VIEWABLE_MS` continuously while the document is visible:
 * - the clock stops when the card goes below half in view, leaves the DOM, or its element starts showing
 *   another card (another product, copy line or model version: another `identify` value);
 * - it stops when the tab is hidden, and starts again from zero once it is shown: hidden time is never
 *   viewed time, and the second must be continuous;
 * - a card counted once is never counted again (scrolled back, re-rendered, shown again after a re-rank).
 *
 * `settle` counts a card at once if it was not counted yet: a click is proof that it was seen.
 */
export class ViewableImpressions<T> {
  private observer: IntersectionObserver | undefined;
  private readonly slots = new Map<Element, Slot<T>>();
  private readonly counted = new Set<string>();
  private readonly onVisibility = (): void => {
    for (const slot of this.slots.values()) this.stop(slot);
    for (const slot of this.slots.values()) this.update(slot);
  };

  constructor(
    private readonly identify: (item: T) => string,
    private readonly count: (item: T) => void,
  ) {}

  /** Starts watching (the element joined the page): every known card element is observed again. */
  connect(): void {
    if (this.observer || typeof IntersectionObserver !== 'function' || typeof document === 'undefined') return;
    this.observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const slot = this.slots.get(entry.target);
        if (!slot) continue;
        slot.inView = entry.isIntersecting && entry.intersectionRatio >= VIEWABLE_RATIO;
        this.update(slot);
      }
    }, { threshold: VIEWABLE_RATIO });
    document.addEventListener('visibilitychange', this.onVisibility);
    for (const el of this.slots.keys()) this.observer.observe(el);
  }

  /** Stops watching (the element left the page): every clock stops; what was counted stays counted. */
  disconnect(): void {
    this.observer?.disconnect();
    this.observer = undefined;
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.onVisibility);
    for (const slot of this.slots.values()) {
      this.stop(slot);
      slot.inView = false;
    }
  }

  /**
   * The card elements as rendered now, each with the card it shows. An element that shows the same card
   * as before keeps its clock; one that shows another card starts a new one; elements no longer listed
   * stop theirs.
   */
  observe(items: ReadonlyArray<readonly [Element, T]>): void {
    const now = new Set(items.map(([el]) => el));
    for (const [el, slot] of this.slots) {
      if (now.has(el)) continue;
      this.stop(slot);
      this.slots.delete(el);
      this.observer?.unobserve(el);
    }
    for (const [el, item] of items) {
      const id = this.identify(item);
      const slot = this.slots.get(el);
      if (!slot) {
        this.slots.set(el, { item, id, inView: false });
        // The first notification says whether it is in view now.
        this.observer?.observe(el);
        continue;
      }
      slot.item = item;
      if (slot.id === id) continue;
      this.stop(slot);
      slot.id = id;
      this.update(slot);
    }
  }

  /** Counts `item` now unless it was counted already (a click within its first second in view). */
  settle(item: T): void {
    const id = this.identify(item);
    for (const slot of this.slots.values()) if (slot.id === id) this.stop(slot);
    this.record(id, item);
  }

  private update(slot: Slot<T>): void {
    const running = slot.timer !== undefined;
    const viewable = slot.inView && document.visibilityState === 'visible' && !this.counted.has(slot.id);
    if (viewable && !running) this.start(slot, VIEWABLE_MS);
    else if (!viewable && running) this.stop(slot);
  }

  private start(slot: Slot<T>, ms: number): void {
    slot.since ??= performance.now();
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      // Timers may fire a little early: the clock, not the timer, decides.
      const left = VIEWABLE_MS - (performance.now() - slot.since!);
      if (left > 0) return this.start(slot, left);
      slot.since = undefined;
      if (slot.inView && document.visibilityState === 'visible') this.record(slot.id, slot.item);
    }, ms);
  }

  private stop(slot: Slot<T>): void {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.since = undefined;
  }

  private record(id: string, item: T): void {
    if (this.counted.has(id)) return;
    this.counted.add(id);
    try {
      this.count(item);
    } catch {
      // Counting never breaks the page.
    }
  }
}
