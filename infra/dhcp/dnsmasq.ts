import { bootRules, type DhcpSite, header, ipxeScriptUrl } from './boot-plan';

/**
 * dnsmasq (a conf-file, or lines for /etc/dnsmasq.d/): tags by user class and option 93, then one
 * dhcp-boot line a tag. dnsmasq's client-arch match finds a value anywhere in a client's list.
 */
export function dnsmasqConfig(site: DhcpSite): string {
  const lines = header(site, 'dnsmasq').map((l) => `# ${l}`.trimEnd());
  const rules = bootRules(site);
  lines.push('', '# iPXE says so in its user class, and by sending option 175.', 'dhcp-userclass=set:tandem-ipxe,iPXE', 'dhcp-match=set:tandem-ipxe,175');
  for (const [i, rule] of rules.entries()) {
    lines.push(`# ${rule.names}`);
    for (const arch of rule.archs) lines.push(`dhcp-match=set:tandem-boot${i},option:client-arch,${arch}`);
  }
  lines.push('', `dhcp-boot=tag:tandem-ipxe,${ipxeScriptUrl(site)}`);
  for (const [i, rule] of rules.entries()) {
    const tags = `tag:!tandem-ipxe,tag:tandem-boot${i}`;
    if (rule.transport === 'http') lines.push(`dhcp-option-force=${tags},option:vendor-class,HTTPClient`, `dhcp-boot=${tags},${rule.file}`);
    else lines.push(`dhcp-boot=${tags},${rule.file},,${site.relay}`);
  }
  lines.push('');
  return lines.join('\n');
}
