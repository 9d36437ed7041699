import { describe, expect, it } from 'vitest';
import { ARCHITECTURES, bootFilesWith, chooseBootFile, clientArchitectures, DEFAULT_BOOT_FILES } from './architectures';

const files = (text: string) => {
  const read = bootFilesWith(text);
  if ('error' in read) throw new Error(read.error);
  return read.files;
};

describe('the architecture table', () => {
  it('names what the IANA registry names, fetched over HTTP exactly where the registry says HTTP', () => {
    expect(ARCHITECTURES.get(0)).toEqual({ name: 'x86 BIOS', transport: 'tftp' });
    expect(ARCHITECTURES.get(11)).toEqual({ name: 'ARM64 UEFI', transport: 'tftp' });
    expect(ARCHITECTURES.get(27)).toEqual({ name: 'RISC-V64 UEFI', transport: 'tftp' });
    const http = [...ARCHITECTURES].filter(([, a]) => a.transport === 'http').map(([code]) => code);
    expect(http).toEqual([15, 16, 17, 18, 19, 20, 23, 24, 26, 28, 30, 38, 40]);
    expect([...ARCHITECTURES].every(([, a]) => (a.transport === 'http') === a.name.endsWith('HTTP'))).toBe(true);
  });

  it('offers by default only what Debian’s ipxe package ships: x86 BIOS and x64 UEFI', () => {
    expect([...DEFAULT_BOOT_FILES]).toEqual([
      [0, 'undionly.kpxe'],
      [7, 'snponly.efi'],
      [9, 'snponly.efi'],
      [16, 'snponly.efi'],
    ]);
    for (const code of [6, 10, 11, 18, 19, 25, 27, 28]) expect(DEFAULT_BOOT_FILES.has(code), `architecture ${code}`).toBe(false);
  });
});

describe('a site’s boot files (RELAY_BOOT_FILES)', () => {
  it('adds and replaces files per architecture, and takes a default away with an empty file', () => {
    const site = files('11=arm64/snponly.efi, 27=riscv64/ipxe.efi,0=,7=ipxe.efi');
    expect(site.get(11)).toBe('arm64/snponly.efi');
    expect(site.get(27)).toBe('riscv64/ipxe.efi');
    expect(site.get(7)).toBe('ipxe.efi');
    expect(site.get(9)).toBe('snponly.efi');
    expect(site.has(0)).toBe(false);
    expect([...files('')]).toEqual([...DEFAULT_BOOT_FILES]);
  });

  it.each([['11'], ['arm64=snponly.efi'], ['70000=x.efi'], ['11=/srv/x.efi'], ['11=../x.efi'], ['11=a//x.efi'], ['11=my loader.efi'], ['11=x.efi?y']])(
    'refuses %s',
    (text) => {
      expect(bootFilesWith(text)).toHaveProperty('error');
    },
  );
});

describe('the architectures a client lists (option 93)', () => {
  it('reads one or several 16-bit values, most preferred first', () => {
    expect(clientArchitectures(Uint8Array.of(0, 7))).toEqual([7]);
    expect(clientArchitectures(Uint8Array.of(0, 27, 0, 7, 0, 0))).toEqual([27, 7, 0]);
    expect(clientArchitectures(Uint8Array.of(1, 0))).toEqual([256]);
  });

  it('has none when the option is missing, empty or cut in the middle of a value', () => {
    expect(clientArchitectures(undefined)).toBeNull();
    expect(clientArchitectures(new Uint8Array(0))).toBeNull();
    expect(clientArchitectures(Uint8Array.of(0, 7, 0))).toBeNull();
  });
});

describe('choosing the boot file', () => {
  it('takes the first architecture in the client’s list that has a file', () => {
    expect(chooseBootFile([27, 7], DEFAULT_BOOT_FILES)).toEqual({ arch: 7, file: 'snponly.efi', transport: 'tftp' });
    expect(chooseBootFile([7, 0], DEFAULT_BOOT_FILES)).toEqual({ arch: 7, file: 'snponly.efi', transport: 'tftp' });
    expect(chooseBootFile([27, 11], files('11=arm64/snponly.efi'))).toEqual({ arch: 11, file: 'arm64/snponly.efi', transport: 'tftp' });
    expect(chooseBootFile([16], DEFAULT_BOOT_FILES)).toEqual({ arch: 16, file: 'snponly.efi', transport: 'http' });
  });

  it('has nothing for architectures without a file, and never falls back to another architecture’s', () => {
    expect(chooseBootFile([27], DEFAULT_BOOT_FILES)).toEqual({ missing: [27] });
    expect(chooseBootFile([11, 25], DEFAULT_BOOT_FILES)).toEqual({ missing: [11, 25] });
    expect(chooseBootFile([4242], DEFAULT_BOOT_FILES)).toEqual({ missing: [4242] });
  });
});
