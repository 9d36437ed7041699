import { describe, expect, it } from 'vitest';
import { askedFilters, listHref, offsetOf } from './list-query';

describe('list queries', () => {
  it('reads the filters asked, trimmed', () => {
    const query = new URLSearchParams('q=%20press%20&status=booting');
    expect(askedFilters((k) => query.get(k), ['q', 'status', 'group'] as const)).toEqual({ q: 'press', status: 'booting', group: '' });
  });

  it('links a page with the filters asked and its offset', () => {
    expect(listHref('/dashboard/terminals', { q: 'a&b', group: '' }, 50)).toBe('/dashboard/terminals?q=a%26b&offset=50');
    expect(listHref('/dashboard/terminals', { q: '' }, 0)).toBe('/dashboard/terminals');
  });

  it('takes a whole, non-negative offset', () => {
    expect([offsetOf('50'), offsetOf('-5'), offsetOf('x'), offsetOf(undefined), offsetOf('7.9')]).toEqual([50, 0, 0, 0, 7]);
  });
});
