import { describe, expect, it } from 'vitest';
import { feedFormatOf } from './feed-format.ts';

describe('feedFormatOf', () => {
  it('picks the format from a Content-Type', () => {
    expect(feedFormatOf('text/tab-separated-values; charset=utf-8')).toBe('tsv');
    expect(feedFormatOf('text/tsv')).toBe('tsv');
    for (const t of ['application/xml', 'text/xml; charset=UTF-8', 'application/rss+xml', 'application/atom+xml']) expect(feedFormatOf(t)).toBe('xml');
    expect(feedFormatOf('application/json')).toBeNull();
    expect(feedFormatOf(undefined)).toBeNull();
  });
});
