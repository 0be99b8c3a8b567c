/**
 * Money as the analytics contract carries it: an ISO 4217 currency code and an integer amount in that
 * currency's minor units (cents for EUR, yen for JPY, fils for KWD), so sums are exact integers with no
 * float drift. One table for the widget (which converts a purchase's `value`) and the server (which
 * validates batches and formats the read-out).
 */

/**
 * ISO 4217 codes of the currencies in circulation (list one, without fund and precious-metal codes,
 * which no shop prices in), by number of minor-unit digits. Everything not listed under 0 or 3 has 2.
 */
const CODES_2 =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL';
const CODES_0 = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF';
const CODES_3 = 'BHD IQD JOD KWD LYD OMR TND';

const EXPONENT = new Map<string, number>([
  ...CODES_2.split(' ').map((c) => [c, 2] as const),
  ...CODES_0.split(' ').map((c) => [c, 0] as const),
  ...CODES_3.split(' ').map((c) => [c, 3] as const),
]);

/** Whether `code` is an ISO 4217 code this table knows (upper case, e.g. `EUR`). */
export function isCurrency(code: unknown): code is string {
  return typeof code === 'string' && EXPONENT.has(code);
}

/** Digits after the decimal point in `currency`'s minor unit: 2 for EUR, 0 for JPY, 3 for KWD. */
export function minorDigits(currency: string): number {
  const digits = EXPONENT.get(currency);
  if (digits === undefined) throw new RangeError(`unknown currency ${JSON.stringify(currency)}`);
  return digits;
}

/**
 * A non-negative amount in major units (as a shop reports it: `24.9`) to an integer of minor units
 * (`2490`), rounded half up. The decimal point is moved in the number's shortest decimal form, not by
 * multiplying, so `1.005` EUR is 101 cents, not the 100 that `1.005 * 100 = 100.49999…` would give.
 */
export function toMinor(amount: number, currency: string): number {
  const [mantissa, exponent] = amount.toExponential().split('e') as [string, string];
  return Math.round(Number(`${mantissa}e${Number(exponent) + minorDigits(currency)}`));
}

/** An integer of minor units as an exact decimal string in major units: `123450`, `EUR` -> `"1234.50"`. */
export function fromMinor(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const text = Math.abs(minor).toFixed(0).padStart(digits + 1, '0');
  const whole = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return minor < 0 ? `-${whole}` : whole;
}

/**
 * An amount in major units as a shop shows it: to `currency`'s minor unit, with thousands separators
 * (`1,234.50` EUR, `3,125` JPY; two decimals where no currency is known). For reports, not for the shopper
 * (always `en`).
 */
export function showMajor(amount: number, currency: string | null): string {
  const digits = currency === null ? 2 : minorDigits(currency);
  return amount.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
