import type { Context } from 'hono';
import { sameSecret } from '../domain/dashboard-session';
import { DomainError } from '../domain/errors';
import { formOf } from './form-data';

/** Every form carries the session's CSRF token in this field; a script's request, in this header. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const refused = () =>
  new DomainError(403, 'csrf_token_invalid', 'This form did not come from this dashboard page, or the page is from an earlier session: reload the page and try again.');

/** Refuses a post whose CSRF token is missing or is not `expected`. */
export async function checkCsrf(c: Context, expected: string | undefined, options: { headerOnly?: boolean } = {}): Promise<void> {
  const submitted = c.req.header(CSRF_HEADER) ?? (isForm(c) && !options.headerOnly ? (await formOf(c))[CSRF_FIELD] : undefined);
  if (!expected || typeof submitted !== 'string' || !sameSecret(submitted, expected)) throw refused();
}

const isForm = (c: Context) => /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(c.req.header('content-type') ?? '');
