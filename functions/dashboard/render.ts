import type { Context } from 'hono';
import type { Child } from 'hono/jsx';

const html = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };

/**
 * Sends a page: HTML with its doctype, never stored by caches (pages carry the session's CSRF
 * token and what only this viewer may see). Through the context, so that cookies set on it go too.
 */
export async function render(c: Context, page: Child, status = 200): Promise<Response> {
  return c.body(`<!DOCTYPE html>${await page}`, status as 200, html);
}

/** A part of a page, for the script that refreshes it in place. */
export async function renderFragment(c: Context, part: Child): Promise<Response> {
  return c.body(String(await part), 200, html);
}

/** After a successful post: the page to show next (303, so a reload does not post again). */
export const seeOther = (c: Context, path: string) => c.redirect(path, 303);
