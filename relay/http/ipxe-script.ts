import type { BootDocument } from '../../functions/domain/boot-document';
import type { VerifiedFirmware } from '../firmware/firmware-store';

/**
 * Pure: the iPXE script that boots one terminal over HTTP, from this relay and, should this relay
 * die after handing the script out, from each peer relay in turn (iPXE `||` chains: a `chain` whose
 * download fails runs the next one). The firmware gets every relay's configuration URL on its
 * command line, the relay it came from first: `tandem.config=<url>,<url>`.
 */
export function bootScript(input: {
  baseUrl: string;
  /** The other relays of the site (RELAY_PEERS), as base URLs. */
  peers: string[];
  /** The relay this terminal was sent here by, when it was: no handing it back. */
  via: string | null;
  relayId: string;
  document: BootDocument;
  source: 'live' | 'cache';
  firmware: VerifiedFirmware | null;
}): string {
  const { baseUrl, document, firmware } = input;
  const mac = document.mac;
  const relays = [baseUrl, ...input.peers.filter((peer) => peer !== baseUrl)];
  const header = [
    '#!ipxe',
    `# Tandem relay ${input.relayId}: terminal ${oneLine(document.name)} (${mac})`,
    `# configuration ${document.configVersion} (${input.source})`,
  ];
  if (!firmware) {
    const why = document.firmware ? `firmware ${oneLine(document.firmware.name)} ${oneLine(document.firmware.version)} is not verified on this relay yet` : 'no firmware is assigned to this terminal';
    // A peer may hold firmware this relay has not verified yet; a terminal a peer sent here is not sent back.
    const peers = document.firmware && !input.via ? relays.slice(1) : [];
    const handOff = peers.map((peer) => `chain --autofree ${peer}/boot.ipxe?mac=${mac}&via=${encodeURIComponent(input.relayId)}`);
    return [
      ...header,
      `echo Tandem: ${why}`,
      ...(handOff.length ? [`${handOff.join(' || ')} || goto retry`, ':retry'] : []),
      'echo Tandem: retrying in 30 seconds',
      'sleep 30',
      'reboot',
      '',
    ].join('\n');
  }
  const image = `/firmware/${firmware.objectKey.split('/').map(encodeURIComponent).join('/')}`;
  const configOf = (relay: string) => `${relay}/config/${mac}`;
  // From relay i: its firmware, with its own configuration URL first and the others after it.
  const chains = relays.map((relay, i) => {
    const configs = [relay, ...relays.filter((_, j) => j !== i)].map(configOf).join(',');
    return `chain --autofree ${relay}${image} tandem.config=${configs} tandem.mac=${mac}`;
  });
  return [
    ...header,
    `# firmware ${oneLine(firmware.name)} ${oneLine(firmware.version)} sha256 ${firmware.sha256}`,
    ...(relays.length > 1 ? [`# peer relays: ${relays.slice(1).join(' ')}`] : []),
    `set tandem-config ${configOf(baseUrl)}`,
    ...(relays.length > 1 ? [`set tandem-config-peers ${relays.slice(1).map(configOf).join(',')}`] : []),
    `${chains.join(' || ')} || goto failed`,
    ':failed',
    'echo Tandem: booting the firmware failed; retrying in 10 seconds',
    'sleep 10',
    'reboot',
    '',
  ].join('\n');
}

export function errorScript(message: string): string {
  return ['#!ipxe', `echo Tandem: ${oneLine(message)}`, 'sleep 30', 'reboot', ''].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
