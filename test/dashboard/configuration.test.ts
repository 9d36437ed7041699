import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, createToken, startHandler, type ApiClient, type HandlerProcess } from '../support/handler';
import { accessibilityFindings, launchChromium, signedInContext, submit as submitButton } from './browser';

/**
 * The configuration pages in headless Chromium against a real handler: groups, terminal servers,
 * a display client and its failover order, terminals with the origin of each setting, pending
 * terminals and their wizard, and the sentences a refused form shows. Every page visited is
 * screenshotted and checked with axe-core.
 */
// A busy machine runs axe and Chromium slowly: generous time per test, never a time asserted.
describe('dashboard: configuration in a browser', { timeout: 240_000 }, () => {
  let handler: HandlerProcess;
  let admin: ApiClient;
  let browser: Browser;
  let page: Page;
  const findings = accessibilityFindings();
  const check = (name: string) => findings.check(page, name);
  const submit = (button: string) => submitButton(page, button);

  beforeAll(async () => {
    handler = await startHandler();
    admin = apiClient(handler.url, handler.adminToken);
    browser = await launchChromium();
    ({ page } = await signedInContext(browser, handler.url, handler.adminToken));
  });

  afterAll(async () => {
    await browser?.close();
    await handler?.stop();
  });

  it('signs in and shows the overview', async () => {
    await expect(page.getByText('signed in as bootstrap-admin (admin)')).toBeDefined();
    expect(await page.locator('header').textContent()).toContain('signed in as bootstrap-admin');
    await check('overview');
  });

  it('creates two terminal servers, a display client listing both, and reorders them by keyboard', async () => {
    await page.goto('/dashboard/terminal-servers');
    for (const [name, host] of [
      ['rds-a', '10.1.0.11'],
      ['rds-b', '10.1.0.12'],
    ]) {
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Host').fill(host);
      await submit('Create terminal server');
      expect(await page.locator('.notice').textContent()).toBe('The terminal server was created.');
    }
    await check('terminal-servers');

    await page.goto('/dashboard/display-clients');
    await page.getByLabel('Name', { exact: true }).fill('line-hmi');
    await page.getByLabel('Settings (JSON object)').fill('{"domain": "PLANT"}');
    await page.getByLabel('rds-a (10.1.0.11:3389)').check();
    await page.getByLabel('rds-b (10.1.0.12:3389)').check();
    await submit('Create display client');
    expect(await page.locator('.notice').textContent()).toBe('The display client was created.');
    const order = () => page.locator('ol.order > li > a').allTextContents();
    expect(await order()).toEqual(['rds-a', 'rds-b']);
    await check('display-client');

    // Keyboard only: focus rds-b's "Move up" and press Enter; the focus stays on the moved server.
    await page.getByRole('button', { name: 'Move up: rds-b' }).focus();
    await Promise.all([page.waitForURL(/notice=order-saved/), page.keyboard.press('Enter')]);
    expect(await order()).toEqual(['rds-b', 'rds-a']);
    await page.waitForFunction(() => document.activeElement?.id.startsWith('down-'));
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Move down: rds-b');
    // Alt+ArrowDown on the focused item moves it back down.
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Alt+ArrowDown')]);
    expect(await order()).toEqual(['rds-a', 'rds-b']);
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Move up: rds-b' }).click()]);
    expect(await order()).toEqual(['rds-b', 'rds-a']);

    const clients = (await admin.get('/api/v1/display-clients')).body.items;
    const servers = (await admin.get('/api/v1/terminal-servers')).body.items as { id: string; name: string }[];
    const byName = Object.fromEntries(servers.map((s) => [s.name, s.id]));
    expect(clients[0].terminalServerIds).toEqual([byName['rds-b'], byName['rds-a']]);
    await check('display-client-reordered');
  });

  it('creates groups, and shows a refused field as a sentence beside it', async () => {
    await page.goto('/dashboard/groups');
    await page.getByLabel('Name', { exact: true }).fill('plant');
    await page.getByLabel('Video resolution').fill('huge');
    await submit('Create group');
    expect(await page.locator('#videoResolution-error').textContent()).toBe('Video resolution must be a resolution like 1920x1080, 1920x1080@60 or auto.');
    expect(await page.getByLabel('Video resolution').getAttribute('aria-invalid')).toBe('true');
    // Nothing was saved.
    expect((await admin.get('/api/v1/groups')).body.total).toBe(0);
    await check('groups-refused');

    await page.getByLabel('Video resolution').fill('1920x1080');
    await page.getByLabel('Display clients inherited from the parent group').uncheck();
    await page.getByLabel('First display client').selectOption({ label: 'line-hmi' });
    await page.getByLabel('Options (JSON object)').fill('{"keyboard": "de", "site": "north"}');
    await submit('Create group');
    expect(await page.locator('.notice').textContent()).toBe('The group was created.');

    await page.goto('/dashboard/groups');
    await page.getByLabel('Name', { exact: true }).fill('hall-2');
    await page.getByLabel('Parent group', { exact: true }).selectOption({ label: 'plant' });
    await page.getByLabel('Hardware model').fill('TC-5');
    await page.getByLabel('Options (JSON object)').fill('{"keyboard": "fr"}');
    await submit('Create group');
    await page.goto('/dashboard/groups');
    expect(await page.locator('ul.tree > li > a').allTextContents()).toEqual(['plant']);
    expect(await page.locator('ul.tree ul a').allTextContents()).toEqual(['hall-2']);
    await check('groups');
  });

  it("creates a terminal and shows its resolved configuration with where each setting comes from", async () => {
    await page.goto('/dashboard/terminals/new');
    await check('terminal-new');
    await page.getByLabel('MAC address').fill('AA-BB-CC-00-00-01');
    await page.getByLabel('Name', { exact: true }).fill('press-1');
    await page.getByLabel('Group', { exact: true }).selectOption({ label: '— hall-2' });
    await page.getByLabel('Options (JSON object)').fill('{"line": 7}');
    await submit('Create terminal');
    expect(await page.locator('.notice').textContent()).toBe('The terminal was created.');

    const row = (setting: string) => page.locator('table tr', { has: page.locator('th', { hasText: setting }) });
    const cells = async (setting: string) => (await row(setting).locator('td').allTextContents()).map((t) => t.trim());
    expect(await cells('Video resolution')).toEqual(['1920x1080', 'group plant']);
    expect(await cells('Hardware model')).toEqual(['TC-5', 'group hall-2']);
    expect(await cells('Display clients')).toEqual(['line-hmi', 'group plant']);
    expect(await cells('Option keyboard')).toEqual(['"fr"', 'group hall-2, over group plant']);
    expect(await cells('Option line')).toEqual(['7', 'this terminal']);
    expect(await cells('Option site')).toEqual(['"north"', 'group plant']);
    expect(await cells('Firmware package')).toEqual(['not set', 'not set anywhere']);
    await check('terminal');

    // The relays get the same: the boot document of the terminal, resolved the same way.
    const relay = apiClient(handler.url, await createToken(admin, 'relay', 'relay-a'));
    const boot = await relay.get('/api/v1/boot/terminals/aa:bb:cc:00:00:01');
    expect(boot.status).toBe(200);
    expect(boot.body).toMatchObject({ videoResolution: '1920x1080', hardwareModel: 'TC-5', options: { keyboard: 'fr', line: 7, site: 'north' } });
    expect(boot.body.displayClients[0].terminalServers.map((s: { name: string }) => s.name)).toEqual(['rds-b', 'rds-a']);
  });

  it('refuses a second terminal with the same MAC, next to the MAC, and saves nothing', async () => {
    await page.goto('/dashboard/terminals/new');
    await page.getByLabel('MAC address').fill('aa:bb:cc:00:00:01');
    await page.getByLabel('Name', { exact: true }).fill('press-1-again');
    await submit('Create terminal');
    expect(await page.locator('#mac-error').textContent()).toBe('Another record already has this mac.');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('press-1-again');
    expect((await admin.get('/api/v1/terminals')).body.total).toBe(1);
    await check('terminal-new-refused');
  });

  it('configures a pending terminal in one click plus the wizard', async () => {
    const relay = apiClient(handler.url, await createToken(admin, 'relay', 'relay-b'));
    expect((await relay.get('/api/v1/boot/terminals/aa:bb:cc:00:00:42')).body.code).toBe('unknown_terminal');

    await page.goto('/dashboard/pending');
    await check('pending');
    await page.getByRole('link', { name: 'Configure aa:bb:cc:00:00:42' }).click();
    await page.getByRole('heading', { name: 'Configure aa:bb:cc:00:00:42' }).waitFor();
    expect(await page.getByLabel('Name').inputValue()).toBe('terminal-000042');
    await check('pending-wizard');
    await page.getByLabel('Name').fill('packing-7');
    await page.getByLabel('Group', { exact: true }).selectOption({ label: 'plant' });
    await page.getByLabel('Display client').selectOption({ label: 'line-hmi' });
    await submit('Configure terminal');
    expect(await page.locator('.notice').textContent()).toMatch(/The terminal is configured/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Terminal packing-7');

    const boot = await relay.get('/api/v1/boot/terminals/aa:bb:cc:00:00:42');
    expect(boot.status).toBe(200);
    expect(boot.body).toMatchObject({ name: 'packing-7', groupPath: ['plant'], videoResolution: '1920x1080' });
    expect((await admin.get('/api/v1/pending-terminals')).body.total).toBe(0);
  });

  it('lists terminals with a search and filters', async () => {
    await page.goto('/dashboard/terminals');
    expect(await page.locator('tbody tr td:first-child').allTextContents()).toEqual(['packing-7', 'press-1']);
    await page.getByLabel('Group', { exact: true }).selectOption({ label: 'plant' });
    await submit('Apply filters');
    // The group with its subgroups.
    expect(await page.locator('tbody tr td:first-child').allTextContents()).toEqual(['packing-7', 'press-1']);
    await page.getByLabel('Group', { exact: true }).selectOption({ label: '— hall-2' });
    await submit('Apply filters');
    expect(await page.locator('tbody tr td:first-child').allTextContents()).toEqual(['press-1']);
    await page.getByLabel('Group', { exact: true }).selectOption({ label: 'Any group' });
    await page.getByLabel('Name or MAC contains').fill('00:42');
    await submit('Apply filters');
    expect(await page.locator('tbody tr td:first-child').allTextContents()).toEqual(['packing-7']);
    await page.getByLabel('Name or MAC contains').fill('');
    await page.getByLabel('Status').selectOption({ label: 'booting' });
    await submit('Apply filters');
    // Only packing-7 booted (its lease came with the boot); no check-in yet: never booted here.
    expect(await page.locator('tbody tr').count()).toBe(0);
    await check('terminals');
  });

  it('refuses to delete a group that still holds terminals, next to the delete button', async () => {
    await page.goto('/dashboard/groups');
    await page.getByRole('link', { name: 'plant' }).click();
    await page.getByText('Delete this group…').click();
    await submit('Delete group');
    expect(await page.locator('#delete .error').textContent()).toBe('The group still holds groups or terminals; move or delete them first.');
    expect((await admin.get('/api/v1/groups')).body.total).toBe(2);
    await check('group-delete-refused');
  });

  it('finds no serious or critical accessibility violation on any page', () => {
    expect(Object.keys(findings.found).length).toBeGreaterThan(10);
    expect(findings.found).toEqual(findings.none());
  });
});
