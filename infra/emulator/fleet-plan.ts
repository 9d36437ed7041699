import { parseMac } from '../../functions/domain/mac';

/**
 * Pure: which terminals to emulate and from which addresses. MACs are given as a list, or as the
 * first of `count` consecutive ones. Against relays on loopback each terminal sends from an
 * address of its own in 127.77.0.0/16, as terminals on a plant network do: a relay's per-source
 * limits then see N terminals, not one.
 */
export function terminalMacs(given: string[], count: number | null): string[] {
  const macs = given.map((text) => {
    const mac = parseMac(text);
    if (!mac) throw new Error(`${JSON.stringify(text)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
    return mac;
  });
  if (count === null) return macs.length ? macs : ['02:00:00:00:00:01'];
  if (macs.length > 1) throw new Error('give either a list of MACs or one MAC with --count, not both');
  const first = BigInt(`0x${(macs[0] ?? '02:00:00:00:00:01').replaceAll(':', '')}`);
  if (first + BigInt(count - 1) > 0xffffffffffffn) throw new Error(`${count} MACs from ${macs[0]} run past ff:ff:ff:ff:ff:ff`);
  return Array.from({ length: count }, (_, i) => macFromNumber(first + BigInt(i)));
}

function macFromNumber(value: bigint): string {
  return value.toString(16).padStart(12, '0').match(/../g)!.join(':');
}

/** The largest fleet that gets loopback addresses of its own (254 a /24, 256 of them). */
export const MAX_LOOPBACK_TERMINALS = 254 * 256;

/** Terminal i's source address: its own loopback address, the one given, or null (the system picks). */
export function sourceAddress(index: number, mode: 'auto' | 'system' | string, relaysOnLoopback: boolean): string | null {
  if (mode === 'system') return null;
  if (mode !== 'auto') return mode;
  if (!relaysOnLoopback) return null;
  if (index >= MAX_LOOPBACK_TERMINALS) throw new Error(`at most ${MAX_LOOPBACK_TERMINALS} terminals get loopback addresses of their own`);
  return `127.77.${Math.floor(index / 254)}.${(index % 254) + 1}`;
}
