import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../relay/support/files';
import { startFirmwareBucket, type FirmwareBucket } from '../relay/support/site';
import { apiClient, startHandler, type ApiClient, type HandlerProcess } from '../support/handler';
import { licensePayload, testVendor, type TestVendor } from '../support/licensing';
import { accessibilityFindings, launchChromium, signedInContext, submit as submitButton } from './browser';

const DAY = 86_400_000;

/**
 * The licence, history, events, tokens and firmware pages in headless Chromium against a real
 * handler (with a vendor key made for the test, and a local S3 bucket for uploads).
 */
describe('dashboard: licence, history, tokens and firmware in a browser', { timeout: 240_000 }, () => {
  let vendor: TestVendor;
  let store: FirmwareBucket;
  let handler: HandlerProcess;
  let admin: ApiClient;
  let browser: Browser;
  let page: Page;
  const dir = tempDir('tandem-dashboard');
  const findings = accessibilityFindings();
  const check = (name: string) => findings.check(page, name);
  const submit = (button: string) => submitButton(page, button);

  beforeAll(async () => {
    vendor = await testVendor();
    store = await startFirmwareBucket();
    handler = await startHandler({ env: { TANDEM_LICENSE_PUBLIC_KEY: vendor.publicKey, S3_ENDPOINT: store.url, S3_BUCKET: store.bucket } });
    admin = apiClient(handler.url, handler.adminToken);
    browser = await launchChromium();
    ({ page } = await signedInContext(browser, handler.url, handler.adminToken));
  });

  afterAll(async () => {
    await browser?.close();
    await handler?.stop();
    await store?.close();
  });

  it("shows this server's installation id to copy, refuses a forged licence next to the file, and installs a licence file", async () => {
    const { installationId } = (await admin.get('/api/v1/server')).body;
    await page.goto('/dashboard/license');
    expect(await page.locator('#installation-id-self').textContent()).toBe(installationId);
    // The script shows the copy button; the clipboard gets the id.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: "Copy this server's id" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(installationId);
    expect(await page.locator('.warning').first().textContent()).toContain('No licence is installed');
    await check('license-none');

    const good = await vendor.sign(licensePayload(installationId, { expiresAt: new Date(Date.now() + 10 * DAY).toISOString() }));
    const forged = structuredClone(good);
    forged.payload.products[0].quantity = 5000;
    const forgedFile = join(dir, 'forged.json');
    writeFileSync(forgedFile, JSON.stringify(forged));
    await page.getByLabel('Licence file', { exact: true }).setInputFiles(forgedFile);
    await submit('Install licence');
    expect(await page.locator('#license-error').textContent()).toMatch(/signature/i);
    expect((await admin.get('/api/v1/license')).body.installed).toBe(false);
    await check('license-refused');

    const goodFile = join(dir, 'licence.json');
    writeFileSync(goodFile, JSON.stringify(good));
    await page.getByLabel('Licence file', { exact: true }).setInputFiles(goodFile);
    await submit('Install licence');
    expect(await page.locator('.notice').textContent()).toBe('The licence was installed.');
    expect(await page.locator('table', { hasText: 'Product' }).locator('tbody td').allTextContents()).toEqual(['terminal-connection', '10', 'primary']);
    expect(await page.locator('.usage-figures').allTextContents()).toEqual(['0 of 10']);
    expect(await page.getByText(/The licence expires in (9|10) days/).count()).toBe(1);
    expect((await admin.get('/api/v1/license')).body).toMatchObject({ installed: true, mode: 'none' });
    await check('license');
  });

  it('reverts a change in one click, and answers a revert that would overwrite a later change', async () => {
    const created = (await admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:00:01:01', name: 'press-9', videoResolution: '1280x1024' })).body;
    const first = (await admin.patch(`/api/v1/terminals/${created.id}`, { videoResolution: '1920x1080' })).body;
    await admin.patch(`/api/v1/terminals/${created.id}`, { hardwareModel: 'TC-9' }, { 'if-match': `"${first.version}"` });

    await page.goto(`/dashboard/history?recordId=${created.id}`);
    const changes = page.locator('article');
    expect(await changes.locator('h3').allTextContents()).toEqual(['update terminal press-9', 'update terminal press-9', 'create terminal press-9']);
    // The older update: a later change would be overwritten.
    const older = changes.nth(1);
    await older.locator('summary').click();
    expect(await older.locator('tbody tr').first().locator('td').allTextContents()).toEqual(['"1280x1024"', '"1920x1080"']);
    await check('history');
    await Promise.all([page.waitForLoadState('load'), older.getByRole('button', { name: 'Revert: update terminal press-9' }).click()]);
    const refused = page.locator('article').nth(1);
    expect(await refused.locator('.error').textContent()).toMatch(/^The record has changed since this change: reverting it would overwrite 1 later change\(s\) \(the latest by admin:bootstrap-admin/);
    expect((await admin.get(`/api/v1/terminals/${created.id}`)).body.hardwareModel).toBe('TC-9');
    await check('history-revert-conflict');
    await Promise.all([page.waitForLoadState('load'), refused.getByRole('button', { name: 'Revert anyway: update terminal press-9' }).click()]);
    expect(await page.locator('.notice').textContent()).toMatch(/^The change was reverted/);
    const now = (await admin.get(`/api/v1/terminals/${created.id}`)).body;
    expect(now).toMatchObject({ videoResolution: '1280x1024', hardwareModel: null });
    // The revert is itself a change, at the top.
    expect(await page.locator('article h3').first().textContent()).toBe('update terminal press-9 (a revert)');
  });

  it('filters the event log', async () => {
    await page.goto('/dashboard/events');
    await page.getByLabel('Record kind').fill('terminal');
    await submit('Apply filters');
    const kinds = await page.locator('tbody tr td:nth-child(5)').allTextContents();
    expect(kinds.length).toBeGreaterThan(2);
    for (const kind of kinds) expect(kind).toMatch(/^terminal /);
    await check('events');
  });

  it('creates a token shown once, lists it, and revokes it', async () => {
    await page.goto('/dashboard/tokens');
    await page.getByLabel('Name').fill('line-viewer');
    await page.getByLabel('Role').selectOption('viewer');
    await submit('Create token');
    const token = (await page.locator('#new-token').textContent())!;
    expect(token).toMatch(/^tdm_/);
    expect((await apiClient(handler.url, token).get('/api/v1/terminals')).status).toBe(200);
    await check('tokens-created');
    await page.goto('/dashboard/tokens');
    expect(await page.locator('#new-token').count()).toBe(0);
    expect(await page.content()).not.toContain(token);
    await submit('Revoke line-viewer');
    expect(await page.locator('.notice').textContent()).toBe('The token was revoked; its sessions have ended.');
    expect((await apiClient(handler.url, token).get('/api/v1/terminals')).status).toBe(401);
    // The last admin token cannot go: said next to its button.
    await submit('Revoke bootstrap-admin');
    expect(await page.locator('td .error').textContent()).toBe('This is the last admin token; create another admin token before revoking it.');
    await check('tokens');
  });

  it('uploads a firmware image from the browser, streamed to S3 with its sha256, and shows which terminals use it', async () => {
    const image = randomBytes(3 * 1024 * 1024 + 17);
    const file = join(dir, 'tc-os-3.1.img');
    writeFileSync(file, image);
    await page.goto('/dashboard/firmware');
    await page.getByLabel('Package name').fill('tc-os');
    await page.getByLabel('Version').fill('3.1');
    await page.getByLabel('Image file').setInputFiles(file);
    await Promise.all([page.waitForURL(/notice=firmware-uploaded/), page.getByRole('button', { name: 'Upload', exact: true }).click()]);
    const record = (await admin.get('/api/v1/firmware-packages')).body.items[0];
    const sha256 = createHash('sha256').update(image).digest('hex');
    expect(record).toMatchObject({ name: 'tc-os', packageVersion: '3.1', size: image.length, sha256 });
    const stored = await store.s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: record.objectKey }));
    expect(createHash('sha256').update(Buffer.from(await stored.Body!.transformToByteArray())).digest('hex')).toBe(sha256);

    // The same name and version with other bytes: refused, next to the form, nothing registered.
    const other = Buffer.from(image);
    other[0] ^= 0xff;
    writeFileSync(file, other);
    await page.getByLabel('Package name').fill('tc-os');
    await page.getByLabel('Version').fill('3.1');
    await page.getByLabel('Image file').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.locator('#upload-error:not([hidden])').waitFor();
    expect(await page.locator('#upload-error').textContent()).toMatch(/^tc-os 3\.1 is already registered with other bytes/);
    // A name the schema refuses: next to the name.
    await page.getByLabel('Package name').fill('');
    await page.getByLabel('Package name').evaluate((input) => input.removeAttribute('required'));
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.locator('#upload-name-error:not([hidden])').waitFor();
    expect((await admin.get('/api/v1/firmware-packages')).body.total).toBe(1);
    await check('firmware-refused');

    const group = (await admin.post('/api/v1/groups', { name: 'line-3', firmwarePackageId: record.id })).body;
    await admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:00:03:01', name: 'press-31', groupId: group.id });
    await page.goto('/dashboard/firmware');
    expect(await page.getByRole('link', { name: '1 terminal(s)' }).count()).toBe(1);
    expect(await page.getByText('assigned to 0 terminal(s) and 1 group(s)').count()).toBe(1);
    await page.getByRole('link', { name: '1 terminal(s)' }).click();
    expect(await page.locator('tbody tr td:first-child').allTextContents()).toEqual(['press-31']);
    await page.goto('/dashboard/firmware');
    await check('firmware');
  });

  it('finds no serious or critical accessibility violation on any page', () => {
    expect(Object.keys(findings.found).length).toBeGreaterThan(7);
    expect(findings.found).toEqual(findings.none());
  });
});
