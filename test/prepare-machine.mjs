#!/usr/bin/env node
// Makes sure the tools the tests drive are on this machine, so that no test is
// skipped for a missing tool: installs the Debian packages when run as root,
// otherwise stops with the one apt-get line to run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

/** command → Debian package that provides it */
const needed = {
  curl: 'curl',
  tftp: 'tftp-hpa',
  atftp: 'atftp',
  'in.tftpd': 'tftpd-hpa',
  nginx: 'nginx-light',
  // real PXE firmware in QEMU: SeaBIOS with iPXE ROMs, OVMF, iPXE's boot loaders,
  // and dnsmasq as the site's address-only DHCP server
  'qemu-system-x86_64': 'qemu-system-x86',
  '/usr/lib/ipxe/qemu/efi-e1000.rom': 'ipxe-qemu',
  '/usr/lib/ipxe/undionly.kpxe': 'ipxe',
  '/usr/share/OVMF/OVMF_CODE.fd': 'ovmf',
  dnsmasq: 'dnsmasq-base',
  // network namespaces, bridges and taps for the QEMU tests, and a request held at a relay's door
  ip: 'iproute2',
  nft: 'nftables',
  // the dashboard's browser tests
  chromium: 'chromium',
  // the DHCP examples, checked by the servers' own validators
  dhcpd: 'isc-dhcp-server',
  'kea-dhcp4': 'kea-dhcp4-server',
  // systemd units, checked by systemd-analyze verify
  'systemd-analyze': 'systemd',
};

const has = (command) =>
  command.startsWith('/')
    ? existsSync(command)
    : spawnSync('sh', ['-c', `command -v ${command} || test -x /usr/sbin/${command}`], { stdio: 'ignore' }).status === 0;

const missing = [...new Set(Object.entries(needed).filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg))];
if (missing.length === 0) process.exit(0);

const line = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
if (process.getuid?.() !== 0) {
  console.error(`The tests need Debian packages that are missing: ${missing.join(', ')}.\nRun as root:\n  ${line}`);
  process.exit(1);
}
console.log(`Installing the Debian packages the tests need: ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
// policy-rc.d keeps the packages' own daemons (tftpd-hpa, nginx) from starting on
// ports the tests use; the tests start their own instances.
const keepDaemonsDown = '/usr/sbin/policy-rc.d';
const ownPolicy = !existsSync(keepDaemonsDown);
if (ownPolicy) writeFileSync(keepDaemonsDown, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
try {
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
} finally {
  if (ownPolicy) rmSync(keepDaemonsDown, { force: true });
}
const still = Object.entries(needed).filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
if (still.length) {
  console.error(`Still missing after install: ${still.join(', ')}`);
  process.exit(1);
}
