import { bootRules, type DhcpSite, header, ipxeScriptUrl } from './boot-plan';

/** A PowerShell single-quoted string: nothing in it is expanded (iPXE's ${net0/mac} stays as it is). */
const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * Windows Server DHCP (PowerShell, DhcpServer module): server-level policies, which apply to every
 * scope and are not replicated to a failover partner (each server names its own relay). Windows
 * policies cannot test option 93, so they go by the vendor class (option 60, PXEClient:Arch:000NN),
 * which firmware sets from the same architecture; iPXE comes first, by its user class.
 */
export function windowsDhcpScript(site: DhcpSite): string {
  const lines = header(site, 'windows').map((l) => `# ${l}`.trimEnd());
  lines.push(
    '#',
    '# Run on the DHCP server (or give -ComputerName), as an administrator; running it again changes nothing.',
    '#Requires -Modules DhcpServer',
    'param([string]$ComputerName = $env:COMPUTERNAME)',
    "$ErrorActionPreference = 'Stop'",
    `$Relay = ${quoted(site.relay)}`,
    '',
    'function Add-TandemClass([string]$Name, [string]$Type, [string]$Data) {',
    '  if (-not (Get-DhcpServerv4Class -ComputerName $ComputerName -Name $Name -ErrorAction SilentlyContinue)) {',
    '    Add-DhcpServerv4Class -ComputerName $ComputerName -Name $Name -Type $Type -Data $Data',
    '  }',
    '}',
    '',
    '# A policy matching the classes given, with the boot options it sends (option id -> value).',
    'function Set-TandemPolicy([string]$Name, [int]$Order, [hashtable]$Condition, [hashtable]$Options) {',
    '  if (-not (Get-DhcpServerv4Policy -ComputerName $ComputerName -Name $Name -ErrorAction SilentlyContinue)) {',
    "    Add-DhcpServerv4Policy -ComputerName $ComputerName -Name $Name -Condition OR -ProcessingOrder $Order @Condition",
    '  }',
    '  foreach ($id in $Options.Keys) {',
    '    Set-DhcpServerv4OptionValue -ComputerName $ComputerName -PolicyName $Name -OptionId $id -Value $Options[$id]',
    '  }',
    '}',
    '',
    '# Option 60 is sent to UEFI HTTP boot clients (HTTPClient); Windows does not define it by default.',
    'if (-not (Get-DhcpServerv4OptionDefinition -ComputerName $ComputerName -OptionId 60 -ErrorAction SilentlyContinue)) {',
    "  Add-DhcpServerv4OptionDefinition -ComputerName $ComputerName -OptionId 60 -Name 'Vendor class identifier' -Type String",
    '}',
    '',
    "Add-TandemClass 'Tandem iPXE' User 'iPXE'",
    `Set-TandemPolicy 'Tandem iPXE' 1 @{ UserClass = 'EQ', 'Tandem iPXE' } @{ 67 = ${quoted(ipxeScriptUrl(site))} }`,
  );
  for (const [i, rule] of bootRules(site).entries()) {
    const prefix = rule.transport === 'http' ? 'HTTPClient' : 'PXEClient';
    const classes = rule.archs.map((a) => ({ name: `Tandem arch ${a}`, data: `${prefix}:Arch:${String(a).padStart(5, '0')}` }));
    const policy = `Tandem ${rule.names.replace(/,/g, '')}`;
    const options = rule.transport === 'http' ? `@{ 60 = 'HTTPClient'; 67 = ${quoted(rule.file)} }` : `@{ 66 = $Relay; 67 = ${quoted(rule.file)} }`;
    lines.push('', `# ${rule.names}`);
    for (const c of classes) lines.push(`Add-TandemClass ${quoted(c.name)} Vendor ${quoted(c.data)}`);
    lines.push(`Set-TandemPolicy ${quoted(policy)} ${i + 2} @{ VendorClass = ${classes.map((c) => `'EQ', ${quoted(`${c.name}*`)}`).join(', ')} } ${options}`);
  }
  lines.push('');
  return lines.join('\n');
}
