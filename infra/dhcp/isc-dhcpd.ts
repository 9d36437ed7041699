import { bootRules, type DhcpSite, header, ipxeScriptUrl } from './boot-plan';

const hex16 = (n: number) => `${(n >> 8).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;

/** ISC dhcpd (dhcpd.conf): global statements, so they apply in every subnet the server serves. */
export function iscDhcpdConfig(site: DhcpSite): string {
  const lines = header(site, 'isc').map((l) => `# ${l}`.trimEnd());
  lines.push(
    '',
    'option tandem-arch code 93 = unsigned integer 16;',
    'option tandem-ipxe code 175 = string;',
    '',
    'if option user-class = "iPXE" or exists tandem-ipxe {',
    `  filename "${ipxeScriptUrl(site)}";`,
  );
  for (const rule of bootRules(site)) {
    const test = rule.archs.map((a) => `substring (option tandem-arch, 0, 2) = ${hex16(a)}`).join(' or ');
    lines.push(`} elsif ${test} {`, `  # ${rule.names}`);
    if (rule.transport === 'http') lines.push('  option vendor-class-identifier "HTTPClient";');
    else lines.push(`  next-server ${site.relay};`);
    lines.push(`  filename "${rule.file}";`);
  }
  lines.push('}', '');
  return lines.join('\n');
}
