import { encodeError, TftpError } from '../../relay/tftp/codec';
import { RawTftpClient } from './tftp-client';

/**
 * The boot loader over TFTP, as UEFI PXE firmware fetches it: a size probe (tsize) it ends with
 * ERROR 8, then the file with blksize 1468 and windowsize 4. A relay that does not answer within
 * timeoutMs (requests sent again every second) is given up on.
 */
export async function fetchBootLoader(server: { host: string; tftpPort: number }, file: string, options: { localAddress: string | null; timeoutMs: number }): Promise<Buffer> {
  const tries = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  const open = () => RawTftpClient.open(server.tftpPort, { host: server.host, localAddress: options.localAddress ?? '0.0.0.0' });
  const probe = await open();
  let size: number;
  try {
    const answer = await probe.requestAndWait(file, [['tsize', '0'], ['blksize', '1468']], 'octet', tries);
    if (answer.packet.op === 'error') throw new Error(`TFTP error ${answer.packet.code}: ${answer.packet.message}`);
    if (answer.packet.op !== 'oack') throw new Error(`the size probe for ${file} got ${answer.packet.op}, not an OACK`);
    size = Number(answer.packet.options.find(([name]) => name === 'tsize')?.[1]);
    probe.sendToTransfer(encodeError(TftpError.OptionRefused, 'tsize probe'));
  } finally {
    await probe.close();
  }
  const client = await open();
  try {
    const { data } = await client.fetch(file, [['blksize', '1468'], ['windowsize', '4']], 'octet', tries);
    if (data.length !== size) throw new Error(`${file}: the size probe said ${size} bytes, the transfer brought ${data.length}`);
    return data;
  } finally {
    await client.close();
  }
}
