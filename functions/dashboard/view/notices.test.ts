import { describe, expect, it } from 'vitest';
import { noticeText, withNotice } from './notices';

describe('notices', () => {
  it('shows only the sentences it knows', () => {
    expect(noticeText('terminal-created')).toBe('The terminal was created.');
    expect(noticeText('<script>alert(1)</script>')).toBeNull();
    expect(noticeText('toString')).toBeNull();
    expect(noticeText(undefined)).toBeNull();
  });

  it('adds the notice to a path with or without a query', () => {
    expect(withNotice('/dashboard/terminals', 'terminal-deleted')).toBe('/dashboard/terminals?notice=terminal-deleted');
    expect(withNotice('/dashboard/terminals?group=a', 'terminal-deleted')).toBe('/dashboard/terminals?group=a&notice=terminal-deleted');
  });
});
