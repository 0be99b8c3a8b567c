/**
 * The one rule for item ids, shared by every reader of them: the catalog (JSON and Merchant Center feeds,
 * `id` and `item_group_id`), shopper events (`core/events.ts`) and the training data readers. An id the
 * catalog accepts is an id an event can carry, so every product can be learned.
 *
 * The rule follows Merchant Center's `id` attribute (https://support.google.com/merchants/answer/6324405):
 * surrounding whitespace is removed, each run of whitespace inside counts as one space, and control,
 * format ("function"), private-use and lone surrogate characters are refused. Anything else is allowed:
 * spaces, slashes, quotes, `<`, non-Latin letters. The widget never puts an id into markup or a URL
 * unescaped (Lit escapes attribute values), so it need not restrict ids to word characters. Unassigned
 * code points are not refused, unlike Merchant Center: which code points are assigned depends on the
 * Unicode version of each JavaScript engine, and the server and the shopper's browser must agree.
 * The length limit is longer than Merchant Center's 50 characters, so ids from GA4 (up to 100) fit too.
 */

/** Longest id, in UTF-16 code units, after normalizing. */
export const MAX_ITEM_ID_LENGTH = 128;

/** The rule in words, for error messages. */
export const ITEM_ID_RULE = `1-${MAX_ITEM_ID_LENGTH} characters after trimming (inner whitespace counts as one space), without control, format or private-use characters`;

const REFUSED = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;

/**
 * The id as EdgeRecs keeps and compares it, or undefined where `raw` is not a valid id. Strings are
 * trimmed and inner whitespace runs become one space (`"  jacket  M "` -> `"jacket M"`), so the same id
 * written with stray whitespace in a feed and in a tag is one id. A non-negative safe integer (JSON
 * exports write numeric ids) becomes its decimal string.
 * @example normalizeItemId(' sku 1 ') // 'sku 1'
 */
export function normalizeItemId(raw: unknown): string | undefined {
  let id: string;
  if (typeof raw === 'string') id = raw.replace(/\s+/gu, ' ').trim();
  else if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) id = String(raw);
  else return undefined;
  if (id.length === 0 || id.length > MAX_ITEM_ID_LENGTH || REFUSED.test(id)) return undefined;
  return id;
}
