/**
 * What a PXE client is offered by its processor architecture (DHCP option 93, RFC 4578; values from
 * the IANA "Processor Architecture Types" registry). Pure. A loader for another architecture is
 * never offered: an architecture with no boot file is not answered, so that a boot server that has
 * one can.
 */
export type BootTransport = 'tftp' | 'http';

export interface Architecture {
  name: string;
  /** How its firmware fetches the boot file: PXE over TFTP, UEFI HTTP boot over HTTP (by URL). */
  transport: BootTransport;
}

const pxe = (name: string): Architecture => ({ name, transport: 'tftp' });
const http = (name: string): Architecture => ({ name, transport: 'http' });

export const ARCHITECTURES: ReadonlyMap<number, Architecture> = new Map([
  [0, pxe('x86 BIOS')],
  [1, pxe('NEC/PC98')],
  [2, pxe('Itanium')],
  [3, pxe('DEC Alpha')],
  [4, pxe('Arc x86')],
  [5, pxe('Intel Lean Client')],
  [6, pxe('x86 UEFI')],
  [7, pxe('x64 UEFI')],
  [8, pxe('EFI Xscale')],
  // The registry says EFI byte code, but x64 UEFI firmware sends 9 as often as 7 (RFC 4578 erratum 4624).
  [9, pxe('x64 UEFI')],
  [10, pxe('ARM32 UEFI')],
  [11, pxe('ARM64 UEFI')],
  [12, pxe('PowerPC Open Firmware')],
  [13, pxe('PowerPC ePAPR')],
  [14, pxe('POWER OPAL v3')],
  [15, http('x86 UEFI HTTP')],
  [16, http('x64 UEFI HTTP')],
  [17, http('EBC UEFI HTTP')],
  [18, http('ARM32 UEFI HTTP')],
  [19, http('ARM64 UEFI HTTP')],
  [20, http('x86 BIOS HTTP')],
  [21, pxe('ARM32 U-Boot')],
  [22, pxe('ARM64 U-Boot')],
  [23, http('ARM32 U-Boot HTTP')],
  [24, http('ARM64 U-Boot HTTP')],
  [25, pxe('RISC-V32 UEFI')],
  [26, http('RISC-V32 UEFI HTTP')],
  [27, pxe('RISC-V64 UEFI')],
  [28, http('RISC-V64 UEFI HTTP')],
  [29, pxe('RISC-V128 UEFI')],
  [30, http('RISC-V128 UEFI HTTP')],
  [31, pxe('s390 Basic')],
  [32, pxe('s390 Extended')],
  [33, pxe('MIPS32 UEFI')],
  [34, pxe('MIPS64 UEFI')],
  [35, pxe('Sunway32 UEFI')],
  [36, pxe('Sunway64 UEFI')],
  [37, pxe('LoongArch32 UEFI')],
  [38, http('LoongArch32 UEFI HTTP')],
  [39, pxe('LoongArch64 UEFI')],
  [40, http('LoongArch64 UEFI HTTP')],
  [41, pxe('ARM rpiboot')],
]);

/** An architecture missing from the registry is fetched like a PXE client's (it asked over PXE). */
export const architecture = (code: number): Architecture => ARCHITECTURES.get(code) ?? { name: `architecture ${code}`, transport: 'tftp' };

/** Option 93 value → boot file (a path in the boot tree). An architecture missing here is not answered. */
export type BootFiles = ReadonlyMap<number, string>;

/**
 * What Debian's `ipxe` package ships (/usr/lib/ipxe): x86 BIOS and x64 UEFI builds only. Bookworm has
 * no ARM or RISC-V EFI build, so those architectures have no default and are offered only what a
 * site configures (RELAY_BOOT_FILES).
 */
export const DEFAULT_BOOT_FILES: BootFiles = new Map([
  [0, 'undionly.kpxe'],
  [7, 'snponly.efi'],
  [9, 'snponly.efi'],
  [16, 'snponly.efi'],
]);

/** The Debian package files the defaults name, for the install steps and `npm start`. */
export const DEBIAN_IPXE_DIR = '/usr/lib/ipxe';

/**
 * The boot files with a site's changes, written `11=arm64/snponly.efi,27=riscv64/ipxe.efi`; an empty
 * file (`0=`) takes an architecture's default away. Answers an error sentence for anything else.
 */
export function bootFilesWith(text: string, base: BootFiles = DEFAULT_BOOT_FILES): { files: BootFiles } | { error: string } {
  const files = new Map(base);
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^(\d{1,5})=(.*)$/.exec(item);
    const code = match ? Number(match[1]) : NaN;
    if (!match || code > 0xffff) return { error: `${JSON.stringify(item)} is not architecture=file (e.g. 11=arm64/snponly.efi)` };
    const file = match[2].trim();
    if (!file) {
      files.delete(code);
      continue;
    }
    if (!isBootTreePath(file)) return { error: `${JSON.stringify(file)} is not a path inside the boot folder (no leading /, no .., no spaces)` };
    files.set(code, file);
  }
  return { files };
}

/** A relative path without `..`, spaces or characters a DHCP server's file field or a URL would mangle. */
function isBootTreePath(file: string): boolean {
  return file.length <= 120 && /^[A-Za-z0-9._\-/]+$/.test(file) && !file.startsWith('/') && !file.split('/').some((part) => part === '..' || part === '');
}

/** The architectures a client lists in option 93 (a list of 16-bit values, most preferred first); null when it sends none or a malformed one. */
export function clientArchitectures(option93: Uint8Array | undefined): number[] | null {
  if (!option93 || option93.length === 0 || option93.length % 2 !== 0) return null;
  const codes: number[] = [];
  for (let i = 0; i < option93.length; i += 2) codes.push((option93[i] << 8) | option93[i + 1]);
  return codes;
}

export type BootChoice = { arch: number; file: string; transport: BootTransport } | { missing: number[] };

/** The first architecture in the client's list that has a boot file, with how it is fetched. */
export function chooseBootFile(archs: readonly number[], files: BootFiles): BootChoice {
  for (const arch of archs) {
    const file = files.get(arch);
    if (file) return { arch, file, transport: architecture(arch).transport };
  }
  return { missing: [...archs] };
}
