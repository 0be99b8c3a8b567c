import { describe, expect, it } from 'vitest';
import { sourceKey } from './peer.ts';

describe('sourceKey', () => {
  it('keeps an IPv4 address and reads IPv4-mapped IPv6 as IPv4', () => {
    expect(sourceKey('203.0.113.7')).toBe('203.0.113.7');
    expect(sourceKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(sourceKey('::ffff:cb00:7107')).toBe('203.0.113.7');
  });
  it('groups IPv6 addresses by /64, however they are written', () => {
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('[2001:db8:1:3::9]')).toBe('2001:db8:1:3::/64');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
  it('puts what is not an address into the one unknown source', () => {
    expect(sourceKey(null)).toBe('unknown');
    expect(sourceKey('not-an-ip')).toBe('unknown');
    expect(sourceKey('1:2:3:4:5:6:7:8:9')).toBe('unknown');
  });
});
