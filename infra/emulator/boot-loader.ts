import { encodeError, TftpError } from '../../relay/tftp/codec';
import { RawTftpClient } from './tftp-client';

/**
 * The boot loader over TFTP, as UEFI PXE firmware fetches it: a size probe (tsize) it ends with
 * ERROR 8, then the file with blksize 1468 and windowsize 4. As EDK2's PXE client does, a request
 * or the last ACK goes again after 4 s without an answer (never sooner than timeoutMs allows); a
 * relay silent for timeoutMs is given up on.
 */
/** EDK2's PXE TFTP timeout (PXEBC_MTFTP_TIMEOUT). */
const REQUEST_INTERVAL_MS = 4000;

export async function fetchBootLoader(server: { host: string; tftpPort: number }, file: string, options: { localAddress: string | null; timeoutMs: number }): Promise<Buffer> {
  const interval = Math.min(REQUEST_INTERVAL_MS, options.timeoutMs);
  const tries = Math.max(1, Math.ceil(options.timeoutMs / interval));
  const open = () => RawTftpClient.open(server.tftpPort, { host: server.host, localAddress: options.localAddress ?? '0.0.0.0' });
  const probe = await open();
  let size: number;
  try {
    const answer = await probe.requestAndWait(file, [['tsize', '0'], ['blksize', '1468']], 'octet', tries, interval);
    if (answer.packet.op === 'error') throw new Error(`TFTP error ${answer.packet.code}: ${answer.packet.message}`);
    if (answer.packet.op !== 'oack') throw new Error(`the size probe for ${file} got ${answer.packet.op}, not an OACK`);
    size = Number(answer.packet.options.find(([name]) => name === 'tsize')?.[1]);
    probe.sendToTransfer(encodeError(TftpError.OptionRefused, 'tsize probe'));
  } finally {
    await probe.close();
  }
  const client = await open();
  try {
    // A transfer that stalls is given up on after the same wait: its ACK goes again each second till then.
    const { data } = await client.fetch(file, [['blksize', '1468'], ['windowsize', '4']], 'octet', {
      requestTries: tries,
      requestIntervalMs: interval,
      retransmitMs: interval,
      silenceMs: options.timeoutMs,
    });
    if (data.length !== size) throw new Error(`${file}: the size probe said ${size} bytes, the transfer brought ${data.length}`);
    return data;
  } finally {
    await client.close();
  }
}
