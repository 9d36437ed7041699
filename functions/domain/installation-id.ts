/**
 * Installation ids: what a licence binds to. 80 random bits as 16 Crockford
 * base32 digits in groups of four, `TDM-7K3Q-9XH2-M4PA-WZ6R`: short enough to
 * read out over the phone to the vendor, without I/O/L/U to confuse.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Formats 10 random bytes (the caller supplies them) as an installation id. */
export function formatInstallationId(random: Uint8Array): string {
  if (random.length < 10) throw new RangeError('an installation id needs 10 random bytes');
  let bits = 0n;
  for (const byte of random.slice(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let digits = '';
  for (let i = 15; i >= 0; i--) digits += CROCKFORD[Number((bits >> BigInt(i * 5)) & 31n)];
  return `TDM-${digits.match(/.{4}/g)!.join('-')}`;
}
