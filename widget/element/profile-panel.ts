import { LitElement, css, html, nothing } from 'lit';
import { ui, uiCount } from '../copy/copy.ts';
import { money } from '../copy/money.ts';
import type { Engine, ProfileSummary } from '../engine/engine.ts';

/**
 * `<edge-recs-profile>`: the shopper's view of what EdgeRecs keeps on this device (event count, favourite
 * categories, usual price range, segment, where it is stored), with "Pause personalisation" and "Erase
 * all". Put it on a privacy page, or open it as a dialog with `window.edgeRecs.openProfile()`. Parts:
 * `panel`, `pause`, `erase`.
 */
export class EdgeRecsProfileElement extends LitElement {
  static override properties = { summary: { state: true }, message: { state: true } };
  /** Set by the engine chunk. */
  static engine: Engine | undefined;

  private summary: ProfileSummary | undefined;
  private message = '';
  private readonly onChange = (): void => void this.load();

  override connectedCallback(): void {
    super.connectedCallback();
    EdgeRecsProfileElement.engine?.addEventListener('change', this.onChange);
    void this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    EdgeRecsProfileElement.engine?.removeEventListener('change', this.onChange);
  }

  private async load(): Promise<void> {
    try {
      this.summary = await EdgeRecsProfileElement.engine?.summary();
    } catch {
      this.summary = undefined;
    }
  }

  private async pause(): Promise<void> {
    const engine = EdgeRecsProfileElement.engine;
    if (!engine || !this.summary) return;
    await engine.pause(!this.summary.paused);
    this.message = this.summary.paused ? '' : ui(this.summary.locale, 'paused');
    await this.load();
  }

  private async erase(): Promise<void> {
    const engine = EdgeRecsProfileElement.engine;
    if (!engine) return;
    await engine.forget();
    this.message = ui(engine.config.locale, 'erased');
    await this.load();
  }

  static override styles = css`
    :host { display: block; font: inherit; color: inherit; }
    h2 { font-size: 1.15em; margin: 0 0 8px; }
    /* Focused only by the dialog as it opens (a heading is no control): no ring, as on a page's own headings. */
    h2:focus { outline: none; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 8px 0; }
    dt { font-weight: 600; }
    dd { margin: 0; }
    .actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 12px; }
    button { font: inherit; padding: 6px 12px; border-radius: 8px; border: 1px solid currentColor; background: none; color: inherit; cursor: pointer; }
    button:focus-visible { outline: 3px solid var(--edge-recs-focus, #2563eb); outline-offset: 2px; }
    [part='erase'] { color: var(--edge-recs-danger, #b91c1c); }
  `;

  /** Moves focus to the panel's heading once it is rendered: where a dialog showing the panel starts reading. */
  async focusHeading(): Promise<void> {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>('h2')?.focus();
  }

  protected override render(): unknown {
    const s = this.summary;
    const locale = s?.locale ?? EdgeRecsProfileElement.engine?.config.locale ?? 'en';
    const t = (key: string, slots?: Record<string, string>): string => ui(locale, key, slots);
    const p = s?.profile;
    const pct = (w: number): string => new Intl.NumberFormat(locale, { style: 'percent' }).format(w);
    // Prices in the catalog's currency, as the cards show them. Without a catalog the currency is unknown and
    // the range is left out: a bare "11 – 14" would not say what it is in.
    const currency = s?.currency;
    return html`<section part="panel" aria-labelledby="edge-recs-profile-title">
      <h2 id="edge-recs-profile-title" tabindex="-1">${t('profile')}</h2>
      ${!p || p.eventCount === 0
        ? html`<p data-testid="profile-empty">${t('none')}</p>`
        : html`<dl>
            <dt>${t('stored')}</dt>
            <dd data-testid="profile-events">${uiCount(locale, 'events', p.eventCount)} (${s!.storage === 'indexeddb' ? 'IndexedDB' : 'memory'})</dd>
            ${p.categories.length > 0
              ? html`<dt>${t('categories')}</dt>
                  <dd>${p.categories.slice(0, 3).map((c) => `${c.category} (${pct(c.weight)})`).join(', ')}</dd>`
              : nothing}
            ${p.priceBand && currency
              ? html`<dt>${t('price')}</dt><dd>${money(locale, currency, p.priceBand.low)} – ${money(locale, currency, p.priceBand.high)}</dd>`
              : nothing}
            <dt>${t('segment')}</dt>
            <dd>${p.segment}</dd>
          </dl>`}
      ${s?.paused ? html`<p>${t('paused')}</p>` : nothing}
      <p role="status" aria-live="polite">${this.message}</p>
      <div class="actions">
        <button part="pause" type="button" aria-pressed=${s?.paused ? 'true' : 'false'} @click=${() => this.pause()}>${s?.paused ? t('resume') : t('pause')}</button>
        <button part="erase" type="button" @click=${() => this.erase()}>${t('erase')}</button>
      </div>
    </section>`;
  }
}

/** The focused element, inside shadow roots too (`document.activeElement` stops at the shadow host). */
function deepActiveElement(doc: Document): HTMLElement | null {
  let active = doc.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active instanceof HTMLElement && active !== doc.body ? active : null;
}

/**
 * Opens `<edge-recs-profile>` in a modal `<dialog>`: focus moves to the panel's heading (not to "Close", the
 * last thing in it), Tab stays within the dialog (a modal dialog makes the rest of the page inert), Escape
 * closes it, and focus returns to what had it before. One at a time: a second call focuses the open one.
 */
export async function openProfileDialog(doc: Document, locale: string): Promise<void> {
  const existing = doc.querySelector<HTMLDialogElement>('dialog[data-edge-recs-profile]');
  if (existing) {
    existing.focus();
    return;
  }
  const dialog = doc.createElement('dialog');
  dialog.setAttribute('data-edge-recs-profile', '');
  dialog.setAttribute('aria-label', ui(locale, 'profile'));
  dialog.style.cssText = 'max-width: min(92vw, 480px); border: 0; border-radius: 12px; padding: 20px; box-shadow: 0 10px 40px rgb(0 0 0 / 0.3);';
  const panel = doc.createElement('edge-recs-profile');
  const close = doc.createElement('button');
  close.type = 'button';
  close.textContent = ui(locale, 'close');
  close.style.cssText = 'margin-top: 12px; font: inherit;';
  close.addEventListener('click', () => dialog.close());
  dialog.append(panel, close);
  const opener = deepActiveElement(doc);
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  });
  doc.body.append(dialog);
  dialog.showModal();
  // The element is defined by the engine chunk that calls this; its render is a microtask away.
  if (panel instanceof EdgeRecsProfileElement) await panel.focusHeading();
}
