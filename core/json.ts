/**
 * JSON from outside, parsed with a bound on nesting. `JSON.parse` itself copes with any depth, but
 * everything that walks the value afterwards by recursion (`JSON.stringify`, `String()` of an array,
 * validators, error messages) runs out of stack somewhere past a few thousand levels, which a server
 * would answer with a 500. No JSON this project reads nests anywhere near `MAX_JSON_DEPTH`, so deeper
 * input is refused before it is parsed, as a `ContractError` the boundary answers with a 400.
 */
import { ContractError } from './errors.ts';

/**
 * Deepest nesting of arrays and objects accepted. 64: the deepest document of the contracts (a
 * manifest, a catalog product's fields) nests under 10, and 64 levels of recursion are safe anywhere.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Bounds on what `JSON.parse` would build from a text: nesting depth, and optionally counts. */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects. */
  depth: number;
  /** Most arrays and objects in all. Default: no bound. */
  containers?: number;
  /** Most commas between values and members in all (about the number of values). Default: no bound. */
  separators?: number;
}

/**
 * The first of `limits` that `text` passes, reading it from the start (brackets and commas inside
 * strings do not count), or null. One pass, no allocation; says nothing about whether the text is
 * otherwise JSON, which is left to `JSON.parse`.
 * @example jsonLimitPassed('[[[1]]]', { depth: 2 }) // 'depth'
 */
export function jsonLimitPassed(text: string, limits: JsonLimits): 'depth' | 'containers' | 'separators' | null {
  const { depth: maxDepth, containers: maxContainers = Infinity, separators: maxSeparators = Infinity } = limits;
  let depth = 0;
  let containers = 0;
  let separators = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      // Skip the string: to the next quote not escaped by an odd run of backslashes.
      for (let from = i + 1; ; ) {
        const q = text.indexOf('"', from);
        if (q < 0) return null; // unterminated: JSON.parse names it
        let slashes = 0;
        while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
        if (slashes % 2 === 0) {
          i = q;
          break;
        }
        from = q + 1;
      }
    } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      if (++depth > maxDepth) return 'depth';
      if (++containers > maxContainers) return 'containers';
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) depth--;
    else if (ch === COMMA && ++separators > maxSeparators) return 'separators';
  }
  return null;
}

/** Whether `text` nests arrays and objects deeper than `max` (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, max: number): boolean {
  return jsonLimitPassed(text, { depth: max }) === 'depth';
}

/**
 * `JSON.parse(text)`, refusing nesting deeper than `MAX_JSON_DEPTH` before parsing.
 * @param what names the document in the error, e.g. `'the request body'`.
 * @throws ContractError `too_deep` for deeper nesting; `SyntaxError` (from `JSON.parse`) for text that is not JSON.
 * @example parseJson(await request.text(), 'the request body')
 */
export function parseJson(text: string, what: string): unknown {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new ContractError('too_deep', `${what} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return JSON.parse(text);
}
