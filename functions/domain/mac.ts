import { DomainError } from './errors';

/**
 * MAC addresses arrive in every spelling firmware and admins use:
 * `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`, `aabbccddeeff`.
 * We store and compare one form: lower case, colon separated.
 */
const HEX12 = /^[0-9a-f]{12}$/;
const SEPARATED = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/;
const CISCO = /^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/;

/** Returns the normalised MAC, or null when the text is not a MAC address. */
export function parseMac(text: string): string | null {
  const lower = text.trim().toLowerCase();
  let hex: string;
  if (HEX12.test(lower)) hex = lower;
  else if (SEPARATED.test(lower) || CISCO.test(lower)) hex = lower.replace(/[.:-]/g, '');
  else return null;
  return hex.match(/../g)!.join(':');
}

/** The normalised MAC of a request, or a 400 naming the field. */
export function requireMac(text: string, field = 'mac'): string {
  const mac = parseMac(text);
  if (!mac) throw new DomainError(400, 'invalid_mac', `"${text}" is not a MAC address; use aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF or aabbccddeeff.`, { field });
  return mac;
}

/** The 6 bytes of a normalised or raw MAC (for DHCP chaddr). */
export function macToBytes(mac: string): Uint8Array {
  const normal = parseMac(mac);
  if (!normal) throw new Error(`not a MAC address: ${mac}`);
  return Uint8Array.from(normal.split(':').map((b) => parseInt(b, 16)));
}

export function macFromBytes(bytes: Uint8Array): string {
  return Array.from(bytes.slice(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}
