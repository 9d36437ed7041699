import type { BootDocument } from '../../functions/domain/boot-document';
import type { VerifiedFirmware } from '../firmware/firmware-store';

/** Pure: the iPXE script that boots one terminal from this relay over HTTP. */
export function bootScript(input: {
  baseUrl: string;
  relayId: string;
  document: BootDocument;
  source: 'live' | 'cache';
  firmware: VerifiedFirmware | null;
}): string {
  const { baseUrl, document, firmware } = input;
  const header = [
    '#!ipxe',
    `# Tandem relay ${input.relayId}: terminal ${oneLine(document.name)} (${document.mac})`,
    `# configuration ${document.configVersion} (${input.source})`,
  ];
  if (!firmware) {
    const why = document.firmware ? `firmware ${oneLine(document.firmware.name)} ${oneLine(document.firmware.version)} is not verified on this relay yet` : 'no firmware is assigned to this terminal';
    return [...header, `echo Tandem: ${why}; retrying in 30 seconds`, 'sleep 30', 'reboot', ''].join('\n');
  }
  const config = `${baseUrl}/config/${document.mac}`;
  const image = `${baseUrl}/firmware/${firmware.objectKey.split('/').map(encodeURIComponent).join('/')}`;
  return [
    ...header,
    `# firmware ${oneLine(firmware.name)} ${oneLine(firmware.version)} sha256 ${firmware.sha256}`,
    `set tandem-config ${config}`,
    `chain --autofree ${image} tandem.config=\${tandem-config} tandem.mac=${document.mac} || goto failed`,
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
