import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, settled, startPair, type Pair } from '../support/pair';
import { checkPage, launchChromium, signedInContext } from './browser';

/**
 * The redundancy pages on real pairs in headless Chromium: a conflict made by edits on both
 * servers of a full pair, seen side by side and acknowledged; a mirrored secondary's banner,
 * its missing write controls and its refusal of writes.
 */
let browser: Browser;
const violations: Record<string, string[]> = {};

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('dashboard: a full pair with a conflict', { timeout: 240_000 }, () => {
  let pair: Pair;
  let page: Page;

  beforeAll(async () => {
    pair = await startPair({ mode: 'full' });
    ({ page } = await signedInContext(browser, pair.a.handler.url, pair.a.handler.adminToken));
  }, 180_000);
  afterAll(async () => {
    await pair?.stop();
  });

  it('shows the peer, its lag and licence usage of both servers on the overview', async () => {
    await page.goto('/dashboard');
    expect(await page.locator('#peer-heading').textContent()).toBe('Peer');
    expect(await page.locator('section', { has: page.locator('#peer-heading') }).textContent()).toContain('server-b');
    expect(await page.locator('.usage-label').allTextContents()).toEqual(['server-a (primary)', 'server-b (secondary)']);
    violations['overview-pair'] = await checkPage(page, 'overview-pair');
  });

  it('shows a conflict with both versions side by side, and acknowledges it', async () => {
    const { a, b } = pair;
    const created = (await a.admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:01:00:03', name: 'press-3', hardwareModel: 'TC-200' })).body;
    await eventually(b.admin, `/api/v1/terminals/${created.id}`, (r) => r.status === 200, 'the terminal to reach B');
    for (const m of [a, b]) expect((await m.admin.post('/api/v1/sync/pause', {})).status).toBe(200);
    expect((await a.admin.patch(`/api/v1/terminals/${created.id}`, { hardwareModel: 'edited-on-a' })).status).toBe(200);
    expect((await b.admin.patch(`/api/v1/terminals/${created.id}`, { hardwareModel: 'edited-on-b' })).status).toBe(200);
    for (const m of [a, b]) expect((await m.admin.post('/api/v1/sync/resume', {})).status).toBe(200);
    await settled(pair);
    await eventually(a.admin, '/api/v1/sync/status', (r) => r.body.openConflicts === 1, 'the conflict on A');

    await page.goto('/dashboard/redundancy');
    const conflict = page.locator('article', { hasText: 'terminal press-3: changed on both servers' });
    const row = conflict.locator('tr', { has: page.locator('th', { hasText: 'hardwareModel' }) });
    expect((await row.locator('td').allTextContents()).sort()).toEqual(['"edited-on-a"', '"edited-on-b"']);
    expect(await conflict.locator('thead').textContent()).toMatch(/\(in effect\)/);
    violations['redundancy-conflict'] = await checkPage(page, 'redundancy-conflict');
    await Promise.all([page.waitForLoadState('load'), conflict.getByRole('button', { name: 'Acknowledge the conflict on press-3' }).click()]);
    expect(await page.locator('.notice').textContent()).toBe('The conflict was acknowledged.');
    expect(await page.locator('#conflicts-heading').textContent()).toBe('Open conflicts (0)');
    expect((await a.admin.get('/api/v1/sync/status')).body.openConflicts).toBe(0);
  });

  it('synchronises now, pauses and resumes from the page', async () => {
    await page.goto('/dashboard/redundancy');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Synchronise now' }).click()]);
    expect(await page.locator('.notice').textContent()).toBe('Synchronisation ran.');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Pause synchronisation' }).click()]);
    expect((await pair.a.admin.get('/api/v1/sync/status')).body.paused).toBe(true);
    // Paused: "synchronise now" is refused with the API's sentence, next to the action.
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Synchronise now' }).click()]);
    expect(await page.locator('.actions .error').textContent()).toMatch(/paused on this server; resume it first/);
    violations['redundancy-paused'] = await checkPage(page, 'redundancy-paused');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Resume synchronisation' }).click()]);
    expect((await pair.a.admin.get('/api/v1/sync/status')).body.paused).toBe(false);
  });
});

describe('dashboard: a mirrored secondary', { timeout: 240_000 }, () => {
  let pair: Pair;
  let page: Page;

  beforeAll(async () => {
    pair = await startPair({ mode: 'mirrored' });
    ({ page } = await signedInContext(browser, pair.b.handler.url, pair.b.handler.adminToken));
  }, 180_000);
  afterAll(async () => {
    await pair?.stop();
  });

  it('shows the read-only banner linking to the primary, and no write controls', async () => {
    const { a, b } = pair;
    const terminal = (await a.admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:02:00:01', name: 'mirror-1' })).body;
    await eventually(b.admin, `/api/v1/terminals/${terminal.id}`, (r) => r.status === 200, 'the terminal to reach the secondary');
    await page.goto('/dashboard/terminals');
    const banner = page.getByRole('region', { name: 'Read-only server' });
    expect(await banner.textContent()).toContain('This server is the secondary of a mirrored pair: it is read-only.');
    expect(await banner.getByRole('link').getAttribute('href')).toBe(`${a.handler.url}/dashboard`);
    expect(await page.getByRole('link', { name: 'New terminal' }).count()).toBe(0);
    violations['mirrored-terminals'] = await checkPage(page, 'mirrored-terminals');
    await page.goto(`/dashboard/terminals/${terminal.id}`);
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await page.goto('/dashboard/groups');
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await page.goto('/dashboard/license');
    expect(await page.getByRole('heading', { name: 'Install a licence' }).count()).toBe(0);
    violations['mirrored-license'] = await checkPage(page, 'mirrored-license');
  });

  it('refuses a write posted anyway, naming the primary, and saves nothing', async () => {
    await page.goto('/dashboard/groups');
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const post = await page.request.post('/dashboard/groups', { form: { _csrf: csrf, name: 'on-the-secondary' }, maxRedirects: 0 });
    expect(post.status()).toBe(403);
    expect(await post.text()).toContain(`make changes and admin actions on the primary at ${pair.a.handler.url}`);
    expect((await pair.b.admin.get('/api/v1/groups')).body.total).toBe(0);
  });
});

describe('dashboard: redundancy pages', () => {
  it('find no serious or critical accessibility violation', () => {
    expect(Object.keys(violations).length).toBeGreaterThan(4);
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
  });
});
