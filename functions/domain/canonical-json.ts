/**
 * The canonical encoding that signatures cover: JSON with object members sorted
 * by key (UTF-16 code units), no whitespace, arrays in order, strings and numbers
 * as ECMAScript's JSON.stringify writes them. For the values a signed document
 * holds (strings, integers, booleans, null, arrays, objects) this is RFC 8785
 * (JSON Canonicalization Scheme), so a verifier in another language can rebuild
 * the exact bytes. Undefined members, non-finite numbers and other types are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON has no encoding for a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [key, member] of entries) if (member === undefined) throw new TypeError(`canonical JSON has no encoding for undefined (member "${key}")`);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON has no encoding for ${typeof value}`);
}
