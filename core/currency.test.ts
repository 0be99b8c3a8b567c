import { describe, expect, it } from 'vitest';
import { fromMinor, isCurrency, minorDigits, showMajor, toMinor } from './currency.ts';

describe('currencies (ISO 4217)', () => {
  it('knows circulating codes in upper case only, with their minor-unit digits', () => {
    for (const code of ['EUR', 'USD', 'GBP', 'CHF', 'SEK', 'JPY', 'KWD', 'IDR']) expect(isCurrency(code)).toBe(true);
    for (const code of ['eur', 'EURO', 'XYZ', 'XAU', '', 'US$', 42, null, '__proto__']) expect(isCurrency(code)).toBe(false);
    expect([minorDigits('EUR'), minorDigits('JPY'), minorDigits('KWD'), minorDigits('KRW'), minorDigits('BHD')]).toEqual([2, 0, 3, 0, 3]);
    expect(() => minorDigits('XYZ')).toThrow(/unknown currency "XYZ"/);
  });

  it('converts major to minor units exactly, rounding half up in decimal, not in binary', () => {
    expect(toMinor(24.9, 'EUR')).toBe(2490);
    expect(toMinor(1.005, 'EUR')).toBe(101); // 1.005 * 100 is 100.49999999999999 in binary
    expect(toMinor(0.1 + 0.2, 'EUR')).toBe(30);
    expect(toMinor(19.99, 'USD')).toBe(1999);
    expect(toMinor(1234, 'JPY')).toBe(1234);
    expect(toMinor(1234.5, 'JPY')).toBe(1235);
    expect(toMinor(1.2345, 'KWD')).toBe(1235);
    expect(toMinor(0, 'EUR')).toBe(0);
    expect(toMinor(1e-9, 'EUR')).toBe(0);
    expect(toMinor(9_999_999_999.99, 'EUR')).toBe(999_999_999_999);
  });

  it('formats minor units as an exact decimal string', () => {
    expect(fromMinor(123450, 'EUR')).toBe('1234.50');
    expect(fromMinor(5, 'EUR')).toBe('0.05');
    expect(fromMinor(0, 'USD')).toBe('0.00');
    expect(fromMinor(1234, 'JPY')).toBe('1234');
    expect(fromMinor(1235, 'KWD')).toBe('1.235');
    expect(fromMinor(999_999_999_999, 'EUR')).toBe('9999999999.99');
    // Summing 0.1 a thousand times drifts in floats; in minor units it is exact.
    let sum = 0;
    for (let i = 0; i < 1000; i++) sum += toMinor(0.1, 'EUR');
    expect(fromMinor(sum, 'EUR')).toBe('100.00');
  });
});

describe('showMajor', () => {
  it('shows an amount to the currency\'s minor unit, with thousands separators', () => {
    expect(showMajor(1234.5, 'EUR')).toBe('1,234.50');
    expect(showMajor(3125, 'JPY')).toBe('3,125');
    expect(showMajor(35.714285, 'EUR')).toBe('35.71');
    expect(showMajor(1.2345, 'KWD')).toBe('1.235');
    expect(showMajor(0.5, null)).toBe('0.50');
  });
});
