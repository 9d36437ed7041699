import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, createToken, startHandler, type ApiClient, type HandlerProcess } from '../support/handler';
import { checkPage, launchChromium, signedInContext } from './browser';

/**
 * What each role sees in a browser: a viewer no write controls, an operator no admin-only ones,
 * an admin all; a post without its CSRF token refused; the session cookie's attributes; sign-out.
 */
describe('dashboard: roles in a browser', { timeout: 240_000 }, () => {
  let handler: HandlerProcess;
  let admin: ApiClient;
  let browser: Browser;
  const as = {} as Record<'admin' | 'operator' | 'viewer', { context: BrowserContext; page: Page }>;
  let terminalId: string;
  let displayClientId: string;
  const violations: Record<string, string[]> = {};

  /** The names of the buttons a page offers. */
  const buttons = async (page: Page, path: string) => {
    await page.goto(path);
    return page.getByRole('button').allTextContents();
  };

  beforeAll(async () => {
    handler = await startHandler();
    admin = apiClient(handler.url, handler.adminToken);
    const a = (await admin.post('/api/v1/terminal-servers', { name: 'rds-a', host: '10.1.0.11' })).body;
    const b = (await admin.post('/api/v1/terminal-servers', { name: 'rds-b', host: '10.1.0.12' })).body;
    displayClientId = (await admin.post('/api/v1/display-clients', { name: 'hmi', type: 'rdp', settings: { password: 'line-secret' }, terminalServerIds: [a.id, b.id] })).body.id;
    terminalId = (await admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:00:00:07', name: 'press-7' })).body.id;
    browser = await launchChromium();
    as.admin = await signedInContext(browser, handler.url, handler.adminToken);
    as.operator = await signedInContext(browser, handler.url, await createToken(admin, 'operator', 'shift-lead'));
    as.viewer = await signedInContext(browser, handler.url, await createToken(admin, 'viewer', 'line-watch'));
  });

  afterAll(async () => {
    await browser?.close();
    await handler?.stop();
  });

  it('keeps the session in an HttpOnly, SameSite=Strict cookie the page cannot read', async () => {
    const cookie = (await as.viewer.context.cookies()).find((c) => c.name === 'tandem_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await as.viewer.page.evaluate(() => document.cookie)).not.toContain('tandem_session');
  });

  it('shows a viewer no write controls, and refuses their posts', async () => {
    const { page } = as.viewer;
    expect(await page.locator('nav.sections a').allTextContents()).not.toContain('Tokens');
    expect(await buttons(page, '/dashboard/terminals')).toEqual(['Sign out', 'Apply filters']);
    expect(await page.getByRole('link', { name: 'New terminal' }).count()).toBe(0);
    expect(await buttons(page, `/dashboard/terminals/${terminalId}`)).toEqual(['Sign out']);
    expect(await page.locator('summary').count()).toBe(0);
    violations['viewer-terminal'] = await checkPage(page, 'viewer-terminal');
    expect(await buttons(page, `/dashboard/display-clients/${displayClientId}`)).toEqual(['Sign out']);
    // Credentials are not for viewers.
    expect(await page.content()).not.toContain('line-secret');
    expect(await page.content()).toContain('[redacted]');
    expect(await buttons(page, '/dashboard/groups')).toEqual(['Sign out']);
    expect(await buttons(page, '/dashboard/license')).toEqual(['Sign out', "Copy this server's id"]);
    expect(await buttons(page, '/dashboard/history')).toEqual(['Sign out', 'Apply filters']);
    const tokens = await page.goto('/dashboard/tokens');
    expect(tokens!.status()).toBe(403);
    expect(await page.locator('.error').textContent()).toBe('The viewer role may not use this page; it needs one of: admin.');
    violations['viewer-refused'] = await checkPage(page, 'viewer-refused');
    // A post made anyway, with the page's own CSRF token: refused for the role.
    await page.goto('/dashboard/groups');
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const post = await page.request.post('/dashboard/groups', { form: { _csrf: csrf, name: 'by-viewer' }, maxRedirects: 0 });
    expect(post.status()).toBe(403);
    expect((await admin.get('/api/v1/groups')).body.total).toBe(0);
  });

  it('shows an operator configuration controls but no admin-only ones', async () => {
    const { page } = as.operator;
    expect(await page.locator('nav.sections a').allTextContents()).not.toContain('Tokens');
    expect(await buttons(page, `/dashboard/terminals/${terminalId}`)).toEqual(['Sign out', 'Save terminal', 'Request shadow grant']);
    // Deleting is one more click away, behind its disclosure.
    expect(await page.locator('summary').allTextContents()).toEqual(['Delete this terminal…']);
    expect(await buttons(page, '/dashboard/license')).toEqual(['Sign out', "Copy this server's id"]);
    expect(await page.getByRole('heading', { name: 'Install a licence' }).count()).toBe(0);
    expect(await buttons(page, '/dashboard/redundancy')).toEqual(['Sign out']);
    violations['operator-terminal'] = await checkPage(page, 'operator-terminal');
    expect((await page.goto('/dashboard/tokens'))!.status()).toBe(403);
    // An operator requests a shadow grant: shown once, signed.
    await page.goto(`/dashboard/terminals/${terminalId}`);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Request shadow grant' }).click()]);
    const grant = JSON.parse((await page.locator('#shadow-grant').textContent())!);
    expect(grant.payload).toMatchObject({ mode: 'view-only', terminal: { id: terminalId, mac: 'aa:bb:cc:00:00:07' }, grantedTo: 'operator:shift-lead' });
    expect(grant.signature).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    violations['terminal-shadow'] = await checkPage(as.operator.page, 'terminal-shadow');
  });

  it('shows an admin every control', async () => {
    const { page } = as.admin;
    expect(await page.locator('nav.sections a').allTextContents()).toContain('Tokens');
    expect(await buttons(page, '/dashboard/license')).toContain('Install licence');
    expect(await buttons(page, '/dashboard/tokens')).toContain('Create token');
  });

  it('refuses a form post without its CSRF token, and saves nothing', async () => {
    const { page } = as.admin;
    const forged = await page.request.post('/dashboard/groups', { form: { name: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('This form did not come from this dashboard page');
    expect((await admin.get('/api/v1/groups')).body.total).toBe(0);
    await page.goto('/dashboard/groups');
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const real = await page.request.post('/dashboard/groups', { form: { _csrf: csrf, name: 'with-token' }, maxRedirects: 0 });
    expect(real.status()).toBe(303);
    expect((await admin.get('/api/v1/groups')).body.total).toBe(1);
  });

  it('signs out: the dashboard asks for a token again', async () => {
    const { page } = as.viewer;
    await page.goto('/dashboard');
    await Promise.all([page.waitForURL(/sign-in\?notice=signed-out/), page.getByRole('button', { name: 'Sign out' }).click()]);
    expect(await page.locator('.notice').textContent()).toBe('You are signed out.');
    violations['sign-in'] = await checkPage(page, 'sign-in');
    await page.goto('/dashboard/terminals');
    expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
    // A wrong token: said next to the field.
    await page.getByLabel('API token').fill('tdm_wrong');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await page.locator('#token-error').textContent()).toBe('This token is unknown or has been revoked.');
    violations['sign-in-refused'] = await checkPage(page, 'sign-in-refused');
  });

  it('finds no serious or critical accessibility violation on any page', () => {
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
  });
});
