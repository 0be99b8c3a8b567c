import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Whether the shopper is on a row: the pointer over it, focus in it, or a card being activated (the click
 * in dispatch, at whose end the browser's default action or a shop's router reads the link's `href`).
 * While a row is held, re-ranks caused by events wait (`RecsController`), so a row never changes under
 * the shopper's pointer or focus; `onRelease` runs once the shopper has left it.
 */
export class HoldController implements ReactiveController {
  private pointer = false;
  private focus = false;
  private activating = 0;
  private readonly onPointerEnter = (): void => void (this.pointer = true);
  private readonly onPointerLeave = (): void => {
    this.pointer = false;
    this.check();
  };
  private readonly onFocusIn = (): void => void (this.focus = true);
  private readonly onFocusOut = (e: FocusEvent): void => {
    // Focus moving to another card of this row is retargeted to the host itself.
    const to = e.relatedTarget;
    this.focus = to instanceof Node && (to === this.host || this.host.contains(to));
    this.check();
  };

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly onRelease: () => void,
  ) {
    host.addController(this);
  }

  get held(): boolean {
    return this.pointer || this.focus || this.activating > 0;
  }

  hostConnected(): void {
    this.host.addEventListener('pointerenter', this.onPointerEnter);
    this.host.addEventListener('pointerleave', this.onPointerLeave);
    this.host.addEventListener('focusin', this.onFocusIn);
    this.host.addEventListener('focusout', this.onFocusOut);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('pointerenter', this.onPointerEnter);
    this.host.removeEventListener('pointerleave', this.onPointerLeave);
    this.host.removeEventListener('focusin', this.onFocusIn);
    this.host.removeEventListener('focusout', this.onFocusOut);
    this.pointer = this.focus = false;
  }

  /**
   * A card is being activated: held until the click's dispatch is over (a task later), whatever the
   * pointer and focus do. A touch tap's `pointerleave` comes before its `click`, and a screen reader may
   * activate a link without moving focus.
   */
  activate(): void {
    this.activating++;
    setTimeout(() => {
      this.activating--;
      this.check();
    }, 0);
  }

  private check(): void {
    if (!this.held) this.onRelease();
  }
}
