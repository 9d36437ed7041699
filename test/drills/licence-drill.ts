import type { LicensePayload } from '../../functions/domain/license';
import { licensePayload } from '../support/licensing';
import type { PairMember } from '../support/pair';
import { bothUp, type Drill } from './drill';
import { type DrillSite, installLicence } from './site';
import { bootOnce, type BootResult } from './terminal';

const products = (license: LicensePayload) =>
  license.products.map((p) => `${p.product} ×${p.quantity}${'appliesTo' in p ? ` on the ${p.appliesTo}` : ''}`).join(', ');

const usage = async (m: PairMember) => (await m.admin.get('/api/v1/license/usage')).body as { licensed: number; leases: number };

/**
 * Terminals boot one after the other until the licence refuses one; then what each server
 * leased is read back, and whether a terminal that holds a lease still boots. In full
 * redundancy the licence is first replaced by its other product form (a Terminal Connection
 * licence applied to each server, in an enterprise licence).
 */
export const licenceExceeded: Drill = {
  needs: bothUp,
  run: async ({ site, terminal }) => {
    const view = (await site.a.admin.get('/api/v1/license')).body as { mode: string; license: LicensePayload };
    const facts = [`licence: ${view.mode}`];
    if (site.mode === 'full') facts.push(...(await replaceWithPerServerLicences(site, view.license)));
    else facts.push(products(view.license));

    let refused: BootResult | null = null;
    for (const mac of site.macs) {
      const result = await bootOnce(mac, site.dhcp, site.relays);
      if (!result.booted) {
        refused = result;
        break;
      }
    }
    for (const [role, m] of [['primary', site.a], ['secondary', site.b]] as const) {
      const { leases, licensed } = await usage(m);
      const asked = await fetch(`${m.handler.url}/api/v1/boot/terminals/${terminal.mac}`, { headers: { authorization: `Bearer ${site.relayTokens['relay-a']}` } });
      const code = asked.status === 403 ? ((await asked.json()) as { code: string }).code : null;
      facts.push(code === 'redundancy_not_licensed' ? `${role}: ${code}` : `${role}: ${leases} of ${licensed} leased`);
    }
    if ((await terminal.reboot()).booted) facts.push('a leased terminal still boots');
    if (!refused) return { kind: 'boots', facts: [...facts, `all ${site.macs.length} terminals booted`] };
    return { kind: refused.code === 'no_configuration' ? 'waits' : 'refused', code: refused.code, facts };
  },
};

/** Full redundancy, both product forms: the site's Redundant Terminal Connection licence, then a Terminal Connection licence applied to each server. */
async function replaceWithPerServerLicences(site: DrillSite, current: LicensePayload): Promise<string[]> {
  const [onA, onB] = await Promise.all([usage(site.a), usage(site.b)]);
  const facts = [`${products(current)}: ${onA.licensed === onB.licensed ? `${onA.licensed} on each server` : `${onA.licensed} and ${onB.licensed}`}`];
  const enterprise = (redundancy: 'mirrored' | 'full', productList: LicensePayload['products']) =>
    site.vendor.sign(licensePayload(current.installations[0].id, { edition: 'enterprise', redundancy, installations: current.installations, products: productList }));
  const notFull = await site.a.admin.call('PUT', '/api/v1/license', await enterprise('mirrored', [{ product: 'mirrored-terminal-connection', quantity: 3 }]));
  facts.push(`enterprise licence without full redundancy: ${notFull.body?.code}`);
  await installLicence(
    site,
    await enterprise('full', [
      { product: 'terminal-connection', quantity: 2, appliesTo: 'primary' },
      { product: 'terminal-connection', quantity: 3, appliesTo: 'secondary' },
    ]),
  );
  const replaced = (await site.b.admin.get('/api/v1/license')).body as { mode: string; license: LicensePayload };
  facts.push(`enterprise licence: ${replaced.mode}, ${products(replaced.license)}`);
  return facts;
}
