import { bootRules, type DhcpSite, header, ipxeScriptUrl } from './boot-plan';

const hex16 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

/**
 * Kea (kea-dhcp4.conf): client classes, tested in order; the first that matches sets the boot
 * fields. Merge `client-classes` into the server's own configuration (its subnets, interfaces).
 */
export function keaDhcp4Config(site: DhcpSite): string {
  const notIpxe = "not member('tandem-ipxe')";
  const classes: Record<string, unknown>[] = [
    { name: 'tandem-ipxe', test: "option[77].hex == 'iPXE' or option[175].exists", 'boot-file-name': ipxeScriptUrl(site) },
  ];
  for (const rule of bootRules(site)) {
    const arch = rule.archs.map((a) => `substring(option[93].hex, 0, 2) == ${hex16(a)}`).join(' or ');
    const entry: Record<string, unknown> = { name: `tandem-arch-${rule.archs.join('-')}`, comment: rule.names, test: `${notIpxe} and (${arch})` };
    if (rule.transport === 'http') entry['option-data'] = [{ name: 'vendor-class-identifier', data: 'HTTPClient', 'always-send': true }];
    else entry['next-server'] = site.relay;
    entry['boot-file-name'] = rule.file;
    classes.push(entry);
  }
  const comment = header(site, 'kea').map((l) => `// ${l}`.trimEnd());
  return `${comment.join('\n')}\n${JSON.stringify({ Dhcp4: { 'client-classes': classes } }, null, 2)}\n`;
}
