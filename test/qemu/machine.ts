import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startInNamespace, type NsProcess } from './ns-process';
import { consoleText, findLine, lastLines } from './serial-console';

export type MachineFirmware = 'bios' | 'uefi';

export interface MachineSpec {
  firmware: MachineFirmware;
  mac: string;
  /** The namespace holding its tap, and the tap's name. */
  ns: string;
  tap: string;
}

/** A running virtual machine and its serial console. */
export interface Machine {
  spec: MachineSpec;
  process: NsProcess;
  /** Waits for a console line matching `pattern`; throws with the console's tail if it does not come in time or QEMU exits. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Saves the console (control sequences removed, each line with its time from power-on) to a file; returns its path. */
  saveConsole(path: string): string;
  kill(): Promise<void>;
}

const OVMF = '/usr/share/OVMF';

/**
 * QEMU's arguments for one machine. TCG (no KVM here), one CPU, no default devices, and
 * `-nographic`: QEMU then tells SeaBIOS (fw_cfg "nographic") to mirror its text console, and
 * with it the iPXE ROM's, to the first serial port, and OVMF writes its console there anyway.
 * The serial port is QEMU's stdout.
 * - bios: SeaBIOS, an e1000 with the iPXE PXE ROM that Debian's ipxe-qemu ships for QEMU.
 * - uefi: OVMF, a virtio NIC with no option ROM at all (`romfile=`): OVMF's own virtio driver and
 *   its own UEFI PXE client, as on a thin client without iPXE in flash. `vars` is its NVRAM.
 */
export function qemuArguments(spec: MachineSpec, vars: string): string[] {
  const common = ['-nodefaults', '-nographic', '-serial', 'stdio', '-monitor', 'none', '-smp', '1', '-netdev', `tap,id=n0,ifname=${spec.tap},script=no,downscript=no`];
  if (spec.firmware === 'bios') {
    return [...common, '-machine', 'pc,accel=tcg', '-m', '128', '-boot', 'n', '-device', `e1000,netdev=n0,mac=${spec.mac},romfile=/usr/lib/ipxe/qemu/pxe-e1000.rom`];
  }
  return [
    ...common,
    '-machine', 'q35,accel=tcg',
    '-m', '256',
    '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF}/OVMF_CODE.fd`,
    '-drive', `if=pflash,format=raw,file=${vars}`,
    '-device', `virtio-net-pci,netdev=n0,mac=${spec.mac},romfile=`,
  ];
}

/** Powers a machine on in its namespace (a fresh NVRAM copy for UEFI, in `dir`). */
export function startMachine(spec: MachineSpec, dir: string): Machine {
  const vars = join(dir, `${spec.firmware}-${spec.mac.replace(/:/g, '')}-vars.fd`);
  if (spec.firmware === 'uefi') copyFileSync(join(OVMF, 'OVMF_VARS.fd'), vars);
  const process = startInNamespace(spec.ns, ['qemu-system-x86_64', ...qemuArguments(spec, vars)]);
  // When each console line began, in seconds from power-on: where a boot spends its time.
  const poweredOn = Date.now();
  const lineStarts: number[] = [0];
  process.child.stdout!.on('data', (data: Buffer) => {
    for (const byte of data) if (byte === 0x0a) lineStarts.push((Date.now() - poweredOn) / 1000);
  });
  return {
    spec,
    process,
    async waitForLine(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let exited = false;
      void process.exited.then(() => (exited = true));
      for (;;) {
        const line = findLine(process.output(), pattern);
        if (line) return line;
        if (exited || Date.now() > deadline) {
          const why = exited ? 'QEMU exited' : `not within ${Math.round(timeoutMs / 1000)} s`;
          throw new Error(`${spec.firmware} machine ${spec.mac}: no console line matching ${pattern} (${why}); its console ended with:\n${lastLines(process.output())}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    saveConsole(path) {
      const lines = process.output().split('\n');
      writeFileSync(path, lines.map((line, i) => `${(lineStarts[i] ?? lineStarts.at(-1)!).toFixed(1).padStart(6)} ${consoleText(line)}`).join('\n'));
      return path;
    },
    kill: () => process.kill(),
  };
}
