import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Screenshots of every page the browser tests visit (not committed: test-results/ is ignored). */
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-results', 'dashboard');

/** Debian's Chromium, headless; one per test file, a context per role. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
}

/** A browser context signed in to the dashboard at `url` with `token`; its first page shows the overview. */
export async function signedInContext(browser: Browser, url: string, token: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: url });
  const page = await context.newPage();
  await page.goto('/dashboard');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  return { context, page };
}

/** A screenshot of the page as it is, named after what it shows. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** The serious and critical accessibility violations axe-core finds on the page, as text (empty: none). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')}`);
}

/** A page checked as every page is: a screenshot, and no serious or critical axe violation. */
export async function checkPage(page: Page, name: string): Promise<string[]> {
  await screenshot(page, name);
  return seriousViolations(page);
}

/** Clicks the button of exactly this name and waits for the page it loads. */
export async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: button, exact: true }).click()]);
}

/** The axe findings of every page a test file checks, by name, for its last test to hold to none. */
export function accessibilityFindings() {
  const found: Record<string, string[]> = {};
  return {
    found,
    /** Screenshots the page and keeps its serious and critical violations under `name`. */
    check: async (page: Page, name: string) => {
      found[name] = await checkPage(page, name);
    },
    /** What `found` must equal: no violation on any page. */
    none: () => Object.fromEntries(Object.keys(found).map((k) => [k, []])),
  };
}
