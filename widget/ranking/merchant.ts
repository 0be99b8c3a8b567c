/**
 * The merchant's configuration of ranking and copy: a JSON block in the page,
 *
 *   <script type="application/json" data-edge-recs-config>{ "rules": { "exclude": ["Gift cards"] } }</script>
 *
 * or `window.edgeRecs.configure({...})` (merged over the block, later calls over earlier ones). Both are
 * validated here, in the lazy engine chunk: a bad entry is dropped with a development-build warning that
 * names it and the valid choices, and never breaks the page.
 */
import { COPY_KINDS, COPY_VARIANTS_PER_KIND, PLACEMENTS, type CopyKind, type Placement } from '../../core/analytics.ts';
import { isRecord, show } from '../../core/errors.ts';

/** Ranking rules. Each list is optional; `placements` in `MerchantConfig` overrides them per placement. */
export interface RuleSet {
  /**
   * Only products in these categories (a `product_type` path or a prefix of one: `"Coffee & tea"` matches
   * `"Coffee & tea > Beans"`). Default: every category. Why: a row on a department page should stay in it.
   * @example "include": ["Coffee & tea"]
   */
  include?: string[];
  /**
   * Never products in these categories (same matching as `include`). Default: none. Why: things a shop
   * must not recommend (gift cards, samples, age-restricted goods). A hard rule: never relaxed to fill a row.
   * @example "exclude": ["Gift cards", "Wine > Spirits"]
   */
  exclude?: string[];
  /**
   * Moves matching products up (`by` > 0) or down (`by` < 0) within their tier of the fallback chain.
   * `by` is added to the product's relevance, normalised to 0..1 in its list, so `1` puts it first and
   * `-1` last among the products of the same tier. Match by `category`, `brand` or `ids` (all given must
   * match). Default: none. Why: promote a margin line or a new brand without retraining.
   * @example "boost": [{ "brand": "Lumen", "by": 0.3 }, { "category": "Sun care", "by": -0.5 }]
   */
  boost?: Boost[];
  /**
   * Puts a product at a fixed 1-based position when it may be shown (in stock, not excluded, not in the
   * cart or on screen). Default: none. Why: campaigns.
   * @example "pin": [{ "id": "sku-0042", "position": 1 }]
   */
  pin?: Pin[];
  /**
   * Most cards of one category (`product_type`) in a row; relaxed only when the row could not be filled
   * otherwise. Default 3. Why: eight near-identical serums is a worse row than a varied one. `0` turns it off.
   * @example "maxPerCategory": 2
   */
  maxPerCategory?: number;
}

export interface Boost {
  category?: string;
  brand?: string;
  ids?: string[];
  /** -1..1. */
  by: number;
}

export interface Pin {
  id: string;
  /** 1-based. */
  position: number;
}

/** Copy templates by locale and reason kind: each kind has a list of variants (see `copy/templates.ts`). */
export type CopyOverrides = Record<string, Partial<Record<string, string[]>>>;

/** Everything a merchant can configure on the page. */
export interface MerchantConfig {
  /** Rules for every placement. Default: `{ maxPerCategory: 3 }`. */
  rules: RuleSet;
  /**
   * Rules per placement, merged over `rules` key by key (a list given here replaces the general one).
   * @example "placements": { "cart": { "include": ["Coffee & tea"] } }
   */
  placements: Partial<Record<Placement, RuleSet>>;
  /**
   * Card copy templates, by locale (`en`, `de`, `zh` built in; any BCP 47 tag adds one) and reason kind;
   * a list replaces the built-in variants of that kind for that locale. Slots in braces are filled only
   * from the catalog and the profile; a template whose slot has no value is not used.
   * @example "copy": { "fr": { "viewed": ["Parce que vous avez regardé {title}"] } }
   */
  copy: CopyOverrides;
  /**
   * `stock` at or below which a card may say "only N left". Default 5. Why: "only 80 left" is not scarce.
   * @example "lowStock": 3
   */
  lowStock: number;
}

export const MERCHANT_DEFAULTS: MerchantConfig = { rules: { maxPerCategory: 3 }, placements: {}, copy: {}, lowStock: 5 };

/** Reason kinds a template list can be given for (see `copy/templates.ts`; defined in core, where the server reads them too). */
export { COPY_KINDS, type CopyKind };

type Warn = (message: string) => void;

const strings = (raw: unknown, where: string, warn: Warn): string[] | undefined => {
  if (Array.isArray(raw) && raw.every((s) => typeof s === 'string' && s.trim().length > 0 && s.length <= 500)) return raw.map((s: string) => s.trim());
  if (__EDGE_RECS_DEV__) warn(`config: ${where} must be an array of non-empty strings (got ${show(raw)}); ignoring it`);
  return undefined;
};

function ruleSet(raw: unknown, where: string, warn: Warn): RuleSet {
  const out: RuleSet = {};
  if (!isRecord(raw)) {
    if (__EDGE_RECS_DEV__) warn(`config: ${where} must be an object with include, exclude, boost, pin, maxPerCategory (got ${show(raw)})`);
    return out;
  }
  for (const key of Object.keys(raw)) {
    if (!['include', 'exclude', 'boost', 'pin', 'maxPerCategory'].includes(key) && __EDGE_RECS_DEV__) {
      warn(`config: ${where}.${key} is not a rule; the rules are include, exclude, boost, pin, maxPerCategory`);
    }
  }
  if (raw.include !== undefined) out.include = strings(raw.include, `${where}.include`, warn);
  if (raw.exclude !== undefined) out.exclude = strings(raw.exclude, `${where}.exclude`, warn);
  if (raw.maxPerCategory !== undefined) {
    const n = raw.maxPerCategory;
    if (Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 24) out.maxPerCategory = n as number;
    else if (__EDGE_RECS_DEV__) warn(`config: ${where}.maxPerCategory must be a whole number 0-24, 0 for no limit (got ${show(n)})`);
  }
  if (raw.boost !== undefined) {
    if (!Array.isArray(raw.boost)) {
      if (__EDGE_RECS_DEV__) warn(`config: ${where}.boost must be an array of { category?, brand?, ids?, by } (got ${show(raw.boost)})`);
    } else {
      out.boost = [];
      raw.boost.forEach((b: unknown, i) => {
        const at = `${where}.boost[${i}]`;
        if (!isRecord(b) || typeof b.by !== 'number' || !(b.by >= -1 && b.by <= 1)) {
          if (__EDGE_RECS_DEV__) warn(`config: ${at} needs "by", a number from -1 to 1 (got ${show(b)}); ignoring it`);
          return;
        }
        const boost: Boost = { by: b.by };
        if (typeof b.category === 'string' && b.category.trim()) boost.category = b.category.trim();
        if (typeof b.brand === 'string' && b.brand.trim()) boost.brand = b.brand.trim();
        if (b.ids !== undefined) {
          const ids = strings(b.ids, `${at}.ids`, warn);
          if (ids) boost.ids = ids;
        }
        if (!boost.category && !boost.brand && !boost.ids) {
          if (__EDGE_RECS_DEV__) warn(`config: ${at} must match by category, brand or ids; ignoring it`);
          return;
        }
        out.boost!.push(boost);
      });
    }
  }
  if (raw.pin !== undefined) {
    if (!Array.isArray(raw.pin)) {
      if (__EDGE_RECS_DEV__) warn(`config: ${where}.pin must be an array of { id, position } (got ${show(raw.pin)})`);
    } else {
      out.pin = [];
      raw.pin.forEach((p: unknown, i) => {
        if (isRecord(p) && typeof p.id === 'string' && p.id && Number.isInteger(p.position) && (p.position as number) >= 1 && (p.position as number) <= 24) {
          out.pin!.push({ id: p.id, position: p.position as number });
        } else if (__EDGE_RECS_DEV__) {
          warn(`config: ${where}.pin[${i}] must be { "id": string, "position": 1-24 } (got ${show(p)}); ignoring it`);
        }
      });
    }
  }
  return out;
}

/**
 * Validates one configuration object (from the page's JSON block or `configure()`) and merges it over
 * `base`. Never throws.
 */
export function mergeMerchantConfig(base: MerchantConfig, raw: unknown, warn: Warn): MerchantConfig {
  if (!isRecord(raw)) {
    if (__EDGE_RECS_DEV__) warn(`config must be an object with rules, placements, copy, lowStock (got ${show(raw)}); ignoring it`);
    return base;
  }
  const out: MerchantConfig = { rules: { ...base.rules }, placements: { ...base.placements }, copy: { ...base.copy }, lowStock: base.lowStock };
  for (const key of Object.keys(raw)) {
    if (!['rules', 'placements', 'copy', 'lowStock'].includes(key) && __EDGE_RECS_DEV__) {
      warn(`config: unknown key "${key}"; the keys are rules, placements, copy, lowStock`);
    }
  }
  if (raw.rules !== undefined) Object.assign(out.rules, ruleSet(raw.rules, 'rules', warn));
  if (raw.placements !== undefined) {
    if (!isRecord(raw.placements)) {
      if (__EDGE_RECS_DEV__) warn(`config: placements must be an object keyed by ${PLACEMENTS.join(', ')}`);
    } else {
      for (const [name, rules] of Object.entries(raw.placements)) {
        if (!PLACEMENTS.includes(name as Placement)) {
          if (__EDGE_RECS_DEV__) warn(`config: placements.${name} is not a placement; choose from ${PLACEMENTS.join(', ')}`);
          continue;
        }
        out.placements[name as Placement] = { ...out.placements[name as Placement], ...ruleSet(rules, `placements.${name}`, warn) };
      }
    }
  }
  if (raw.lowStock !== undefined) {
    if (Number.isInteger(raw.lowStock) && (raw.lowStock as number) >= 0) out.lowStock = raw.lowStock as number;
    else if (__EDGE_RECS_DEV__) warn(`config: lowStock must be a whole number >= 0 (got ${show(raw.lowStock)})`);
  }
  if (raw.copy !== undefined) {
    if (!isRecord(raw.copy)) {
      if (__EDGE_RECS_DEV__) warn(`config: copy must be an object keyed by locale, e.g. { "fr": { "viewed": ["..."] } }`);
    } else {
      for (const [locale, kinds] of Object.entries(raw.copy)) {
        let tag: string | undefined;
        try {
          tag = Intl.getCanonicalLocales(locale)[0];
        } catch {
          tag = undefined;
        }
        if (!tag || !isRecord(kinds)) {
          if (__EDGE_RECS_DEV__) warn(`config: copy.${locale} must be a BCP 47 tag mapping reason kinds to template lists`);
          continue;
        }
        const merged = { ...out.copy[tag] };
        for (const [kind, list] of Object.entries(kinds)) {
          if (!COPY_KINDS.includes(kind as CopyKind)) {
            if (__EDGE_RECS_DEV__) warn(`config: copy.${locale}.${kind} is not a reason kind; choose from ${COPY_KINDS.join(', ')}`);
            continue;
          }
          const templates = strings(list, `copy.${locale}.${kind}`, warn);
          if (templates && templates.length > COPY_VARIANTS_PER_KIND && __EDGE_RECS_DEV__) {
            warn(`config: copy.${locale}.${kind} has ${templates.length} templates; only the first ${COPY_VARIANTS_PER_KIND} are used (metrics count variants ${kind}.0-${kind}.${COPY_VARIANTS_PER_KIND - 1})`);
          }
          if (templates) merged[kind] = templates.slice(0, COPY_VARIANTS_PER_KIND);
        }
        out.copy[tag] = merged;
      }
    }
  }
  return out;
}

/** The rules that apply to one placement: its own over the general ones. */
export function rulesFor(config: MerchantConfig, placement: Placement): RuleSet {
  return { ...config.rules, ...config.placements[placement] };
}

/**
 * Reads every `<script type="application/json" data-edge-recs-config>` block of the document, in order.
 * A block that is not valid JSON is skipped with a development warning.
 */
export function readConfigBlocks(doc: Document, warn: Warn): unknown[] {
  const out: unknown[] = [];
  for (const el of Array.from(doc.querySelectorAll('script[data-edge-recs-config]'))) {
    try {
      out.push(JSON.parse(el.textContent ?? ''));
    } catch (e) {
      if (__EDGE_RECS_DEV__) warn(`config: a <script data-edge-recs-config> block is not valid JSON (${String(e)}); ignoring it`);
    }
  }
  return out;
}
