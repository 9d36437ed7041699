import { DhcpPort } from './dhcp-port';
import { EmulatedTerminal } from './terminal';

/**
 * One thin client booting once against one relay on loopback, every byte kept: proxyDHCP offer
 * (port 67) and boot server ACK (port 4011), the boot loader over TFTP, then as iPXE the
 * per-terminal script over HTTP, the firmware it chains and the configuration (no display
 * sessions). The relay must be started with RELAY_DHCP_CLIENT_PORT set to clientPort.
 */
export interface EmulatorTarget {
  dhcpPort: number;
  pxePort: number;
  tftpPort: number;
  /** The port this client listens on for DHCP answers (the relay's RELAY_DHCP_CLIENT_PORT). */
  clientPort: number;
}

export interface BootTrace {
  offer: { file: string; siaddr: string };
  ack: { file: string };
  probedSize: number;
  loader: Buffer;
  ipxeFile: string;
  script: string;
  firmware: Buffer | null;
  config: unknown;
}

export async function emulateBoot(mac: string, target: EmulatorTarget): Promise<BootTrace> {
  const dhcp = await DhcpPort.open(target.clientPort, '127.0.0.1');
  try {
    const terminal = new EmulatedTerminal(mac, '127.0.0.1', {
      relays: [{ url: '', host: '127.0.0.1', tftpPort: target.tftpPort, dhcpPort: target.dhcpPort, pxePort: target.pxePort }],
      dhcp,
      broadcast: null,
      arch: 'efi',
      loaderFile: 'snponly.efi',
      timeoutMs: 5000,
      dhcpTimeoutMs: 5000,
      attempts: 1,
      maxScriptSleepS: 0,
      keepImages: true,
      openSessions: false,
      gate: async () => {},
      onEvent: () => {},
    });
    const report = await terminal.boot();
    const trace = terminal.trace!;
    if (!report.ok) throw new Error(`the boot failed in ${report.failedPhase}: ${report.error}`);
    return {
      offer: trace.offer!,
      ack: { file: trace.loaderFile },
      probedSize: trace.loader!.length,
      loader: trace.loader!,
      ipxeFile: trace.scriptUrl,
      script: trace.script,
      firmware: trace.firmware?.body ?? null,
      config: trace.config,
    };
  } finally {
    await dhcp.close();
  }
}
