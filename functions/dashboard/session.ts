import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { SESSION_LIFETIME_MS } from '../domain/dashboard-session';

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it),
 * and over https Secure with the __Host- prefix (this host only, path /).
 */
const SESSION_COOKIE = 'tandem_session';
/** The sign-in form's own CSRF secret, before there is a session (double-submit). */
const SIGN_IN_COOKIE = 'tandem_sign_in';

export const overHttps = (c: Context) => c.req.url.startsWith('https:');

const options = (c: Context, maxAgeSeconds: number): CookieOptions => ({
  httpOnly: true,
  sameSite: 'Strict',
  secure: overHttps(c),
  path: '/',
  maxAge: maxAgeSeconds,
  prefix: prefix(c),
});
const prefix = (c: Context) => (overHttps(c) ? ('host' as const) : undefined);

export const readSessionCookie = (c: Context) => getCookie(c, SESSION_COOKIE, prefix(c));

export function setSessionCookie(c: Context, secret: string): void {
  setCookie(c, SESSION_COOKIE, secret, options(c, Math.floor(SESSION_LIFETIME_MS / 1000)));
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, options(c, 0));
}

export const readSignInCookie = (c: Context) => getCookie(c, SIGN_IN_COOKIE, prefix(c));

/** A fresh secret for the sign-in form, valid for a quarter of an hour. */
export function setSignInCookie(c: Context, secret: string): void {
  setCookie(c, SIGN_IN_COOKIE, secret, options(c, 15 * 60));
}

export function clearSignInCookie(c: Context): void {
  deleteCookie(c, SIGN_IN_COOKIE, options(c, 0));
}
