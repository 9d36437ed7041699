/**
 * What a page says after an action redirected to it (`?notice=terminal-created`): a closed set of
 * sentences, so that nothing a link carries is ever shown as text.
 */
const notices = {
  'signed-out': 'You are signed out.',
  'terminal-created': 'The terminal was created.',
  'terminal-saved': 'The terminal was saved.',
  'terminal-deleted': 'The terminal was deleted.',
  'pending-configured': 'The terminal is configured; it boots with this configuration from its next request.',
  'pending-dismissed': 'The pending terminal was dismissed.',
  'group-created': 'The group was created.',
  'group-saved': 'The group was saved.',
  'group-deleted': 'The group was deleted.',
  'display-client-created': 'The display client was created.',
  'display-client-saved': 'The display client was saved.',
  'display-client-deleted': 'The display client was deleted.',
  'order-saved': 'The failover order was saved.',
  'terminal-server-created': 'The terminal server was created.',
  'terminal-server-saved': 'The terminal server was saved.',
  'terminal-server-deleted': 'The terminal server was deleted.',
  'firmware-uploaded': 'The firmware package was uploaded and registered; relays fetch and verify it.',
  'firmware-deleted': 'The firmware package was deleted.',
  'license-installed': 'The licence was installed.',
  'sync-run': 'Synchronisation ran.',
  'sync-paused': 'Synchronisation is paused on this server.',
  'sync-resumed': 'Synchronisation resumed.',
  'conflict-acknowledged': 'The conflict was acknowledged.',
  'change-reverted': 'The change was reverted: its inverse is a new change in the history.',
  'token-revoked': 'The token was revoked; its sessions have ended.',
} as const;

export type NoticeCode = keyof typeof notices;

export function noticeText(code: string | undefined): string | null {
  return code && Object.hasOwn(notices, code) ? notices[code as NoticeCode] : null;
}

/** A path with the notice to show once it is loaded. */
export function withNotice(path: string, code: NoticeCode): string {
  return `${path}${path.includes('?') ? '&' : '?'}notice=${code}`;
}
