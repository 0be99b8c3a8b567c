/**
 * The shop's cart, kept in `localStorage` so it survives reloads and is shared by the shop's tabs. The
 * storage is injected (and may be missing or throw, as in some private modes): the cart then lives in
 * memory for the page's lifetime instead of breaking the shop. Touches no browser global itself, so it
 * can be tested in Node.
 */

export interface CartLine {
  id: string;
  quantity: number;
}

/** Most units of one product a cart line may hold; a demo shop has no wholesale customers. */
export const MAX_QUANTITY = 10;

/** Default `localStorage` key of the cart. */
export const CART_KEY = 'edge-recs-demo-cart';

type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem'>;

function parseLines(text: string | null): CartLine[] {
  if (!text) return [];
  try {
    const raw: unknown = JSON.parse(text);
    if (!Array.isArray(raw)) return [];
    const lines: CartLine[] = [];
    for (const entry of raw) {
      const { id, quantity } = (entry ?? {}) as Partial<CartLine>;
      if (typeof id !== 'string' || !Number.isInteger(quantity) || quantity! < 1 || lines.some((l) => l.id === id)) continue;
      lines.push({ id, quantity: Math.min(quantity!, MAX_QUANTITY) });
    }
    return lines;
  } catch {
    // A cart written by an older version of the shop, or by hand: start empty rather than fail.
    return [];
  }
}

export class CartStore {
  private lines: CartLine[];

  constructor(
    private readonly storage: KeyValueStorage | null,
    private readonly key = CART_KEY,
  ) {
    this.lines = this.read();
  }

  /** Lines in the order they were first added. */
  all(): CartLine[] {
    return this.lines.map((l) => ({ ...l }));
  }

  quantity(id: string): number {
    return this.lines.find((l) => l.id === id)?.quantity ?? 0;
  }

  /** Units in the cart, for the header badge. */
  count(): number {
    return this.lines.reduce((n, l) => n + l.quantity, 0);
  }

  /**
   * Sets a line's quantity, clamped to `0..limit` (0 removes the line), and returns the change actually
   * made, so the caller reports exactly what happened (`add_to_cart` or `remove_from_cart` with it).
   */
  set(id: string, quantity: number, limit = MAX_QUANTITY): number {
    const before = this.quantity(id);
    const after = Math.max(0, Math.min(Math.floor(quantity), limit, MAX_QUANTITY));
    if (after === before) return 0;
    if (after === 0) this.lines = this.lines.filter((l) => l.id !== id);
    else if (before === 0) this.lines.push({ id, quantity: after });
    else this.lines = this.lines.map((l) => (l.id === id ? { id, quantity: after } : l));
    this.write();
    return after - before;
  }

  /** Adds `quantity` units (clamped to `limit`); returns how many were added. */
  add(id: string, quantity: number, limit = MAX_QUANTITY): number {
    return this.set(id, this.quantity(id) + quantity, limit);
  }

  clear(): void {
    this.lines = [];
    this.write();
  }

  /** Drops lines whose product no longer exists (a product removed from the feed since the last visit). */
  retain(exists: (id: string) => boolean): void {
    const kept = this.lines.filter((l) => exists(l.id));
    if (kept.length === this.lines.length) return;
    this.lines = kept;
    this.write();
  }

  /** Re-reads storage, e.g. after another tab changed the cart (`storage` event). */
  reload(): void {
    this.lines = this.read();
  }

  private read(): CartLine[] {
    try {
      return parseLines(this.storage?.getItem(this.key) ?? null);
    } catch {
      return this.lines ?? [];
    }
  }

  private write(): void {
    try {
      this.storage?.setItem(this.key, JSON.stringify(this.lines));
    } catch {
      // Storage full or disabled: the cart still works for this page view.
    }
  }
}
