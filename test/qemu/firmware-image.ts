import { createHash, randomBytes } from 'node:crypto';

/** A firmware image a terminal boots to, and how the test recognises it on the serial console. */
export interface MarkerFirmware {
  body: Buffer;
  sha256: string;
  size: number;
  objectKey: string;
  /** The line it prints starts with this; unique to the test run, so only this image prints it. */
  marker: string;
}

/**
 * An iPXE script as the firmware: BIOS iPXE (the NIC's ROM) and EFI iPXE (snponly.efi) both chain
 * it, and it prints one line on the console, `TANDEM-FIRMWARE-OK <nonce> <mac> <boot file>`, the
 * boot file naming the relay that handed out the boot script. Then it holds (the test stops the
 * machine): Debian's iPXE has no `poweroff`, and a reboot would boot again.
 */
export function markerFirmware(): MarkerFirmware {
  const nonce = randomBytes(6).toString('hex');
  const marker = `TANDEM-FIRMWARE-OK ${nonce}`;
  // Three times: a console under heavy load may lose a character (the guest's UART driver gives up
  // waiting), and one intact line is enough.
  const line = `echo ${marker} \${net0/mac} \${filename}`;
  const body = Buffer.from(['#!ipxe', line, line, line, ':hold', 'sleep 3600', 'goto hold', ''].join('\n'));
  return {
    body,
    sha256: createHash('sha256').update(body).digest('hex'),
    size: body.length,
    objectKey: `qemu/marker-${nonce}.ipxe`,
    marker,
  };
}
