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
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether `text` nests arrays and objects deeper than `max` (brackets inside strings do not count).
 * One pass, no allocation; says nothing about whether the text is otherwise JSON.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) inString = true;
    else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) depth--;
  }
  return false;
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
