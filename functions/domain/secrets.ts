/** What stands in for a secret wherever it is shown rather than used. */
export const REDACTED = '[redacted]';

/** Keys of a display client's settings that hold credentials (an RDP `password`, a `secret`, a token). */
const SECRET_KEY = /pass(word|phrase)?$|secret|token|credential/i;

/**
 * A record's state with its secrets replaced, for the audit log, the change history and readers
 * who may not see them. A display client's credentials are stored and put into the boot
 * documents of the terminals that use them, and shown nowhere else.
 */
export function redactSecrets<T>(entity: string, state: T): T {
  if (entity !== 'display-client' || !state || typeof state !== 'object') return state;
  const settings = (state as { settings?: unknown }).settings;
  if (!settings || typeof settings !== 'object' || Array.isArray(settings)) return state;
  return { ...state, settings: redactKeys(settings as Record<string, unknown>) };
}

function redactKeys(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [
      key,
      SECRET_KEY.test(key) && value !== null && value !== '' ? REDACTED : value && typeof value === 'object' && !Array.isArray(value) ? redactKeys(value as Record<string, unknown>) : value,
    ]),
  );
}
