import { describe, expect, it } from 'vitest';
import type { BootDocument } from '../../functions/domain/boot-document';
import type { VerifiedFirmware } from '../firmware/firmware-store';
import { bootScript } from './ipxe-script';

const MAC = '02:00:00:00:00:01';
const firmware: VerifiedFirmware = { objectKey: 'tandem os/1.0.img', sha256: 'a'.repeat(64), size: 10, version: '1.0', name: 'tandem-os', verifiedAt: '2026-01-01T00:00:00Z' };
const document: BootDocument = {
  mac: MAC,
  terminalId: 't1',
  name: 'station-1',
  groupPath: [],
  hardwareModel: null,
  videoResolution: null,
  firmware: { id: 'f1', name: 'tandem-os', version: '1.0', objectKey: firmware.objectKey, sha256: firmware.sha256, size: 10 },
  displayClients: [],
  options: {},
  configVersion: 'v1',
};
const A = 'http://10.20.0.5:8080';
const B = 'http://10.20.0.6:8080';
const script = (fields: Partial<Parameters<typeof bootScript>[0]> = {}) =>
  bootScript({ baseUrl: A, peers: [B], via: null, relayId: 'relay-a', document, source: 'live', firmware, ...fields });

describe('the boot script names both relays', () => {
  it('chains the firmware from this relay, then from the peer, then gives up and retries', () => {
    const lines = script().split('\n');
    const chain = lines.find((l) => l.startsWith('chain '))!;
    expect(chain.split(' || ')).toEqual([
      `chain --autofree ${A}/firmware/tandem%20os/1.0.img tandem.config=${A}/config/${MAC},${B}/config/${MAC} tandem.mac=${MAC}`,
      `chain --autofree ${B}/firmware/tandem%20os/1.0.img tandem.config=${B}/config/${MAC},${A}/config/${MAC} tandem.mac=${MAC}`,
      'goto failed',
    ]);
    expect(lines).toContain(`set tandem-config ${A}/config/${MAC}`);
    expect(lines).toContain(`set tandem-config-peers ${B}/config/${MAC}`);
    expect(lines.slice(lines.indexOf(':failed'))).toEqual([':failed', 'echo Tandem: booting the firmware failed; retrying in 10 seconds', 'sleep 10', 'reboot', '']);
  });

  it('names only itself without peers, and never itself as its own peer', () => {
    for (const peers of [[], [A]]) {
      const chain = script({ peers }).split('\n').find((l) => l.startsWith('chain '))!;
      expect(chain).toBe(`chain --autofree ${A}/firmware/tandem%20os/1.0.img tandem.config=${A}/config/${MAC} tandem.mac=${MAC} || goto failed`);
      expect(script({ peers })).not.toContain('tandem-config-peers');
    }
  });

  it('sends a terminal whose firmware it has not verified yet to the peer, once', () => {
    const handOff = script({ firmware: null }).split('\n');
    expect(handOff).toContain(`chain --autofree ${B}/boot.ipxe?mac=${MAC}&via=relay-a || goto retry`);
    expect(handOff.slice(handOff.indexOf(':retry'))).toEqual([':retry', 'echo Tandem: retrying in 30 seconds', 'sleep 30', 'reboot', '']);
    // Sent here by the peer: not back again (no loop between two relays that both lack it).
    expect(script({ firmware: null, via: 'relay-b' })).not.toContain('chain');
    // No firmware assigned at all: nothing a peer could do.
    expect(script({ firmware: null, document: { ...document, firmware: null } })).not.toContain('chain');
  });
});
