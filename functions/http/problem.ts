import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { DomainError } from '../domain/errors';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function problemResponse(error: DomainError, instance?: string): Response {
  const body = {
    type: `https://tandem.invalid/problems/${error.code}`,
    title: titles[error.status] ?? 'Error',
    status: error.status,
    code: error.code,
    detail: error.detail,
    ...(instance ? { instance } : {}),
    ...error.extra,
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  // The unread rest of an oversized body is still on the wire: the connection cannot be reused.
  if (error.status === 413) headers.connection = 'close';
  if (typeof error.extra.retryAfterSeconds === 'number') headers['retry-after'] = String(error.extra.retryAfterSeconds);
  return new Response(JSON.stringify(body), { status: error.status, headers });
}

/** Maps anything thrown while serving a request onto a DomainError. */
export function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 400 && /JSON/i.test(err.message))
      return new DomainError(400, 'malformed_json', 'The request body is not valid JSON.');
    return new DomainError(err.status, `http_${err.status}`, err.message || titles[err.status] || 'Error');
  }
  const text = messagesOf(err);
  if (/SQLITE_BUSY|database is locked/i.test(text))
    return new DomainError(503, 'database_busy', 'The database is busy; try again in a moment.');
  const unique = /UNIQUE constraint failed: (\w+)\.(\w+)/.exec(text);
  if (unique) {
    const field = unique[2].replace(/_(\w)/g, (_, ch: string) => ch.toUpperCase());
    return new DomainError(409, 'duplicate', `Another record already has this ${field}.`, { field });
  }
  return new DomainError(500, 'internal_error', 'An unexpected error occurred; it has been logged.');
}

export function onError(log: (entry: Record<string, unknown>) => void) {
  return (err: unknown, c: Context) => {
    const problem = toDomainError(err);
    if (problem.status >= 500)
      log({ level: 'error', msg: 'request failed', path: c.req.path, method: c.req.method, error: String((err as Error)?.stack ?? err) });
    return problemResponse(problem, c.req.path);
  };
}

/** The messages of an error and of its causes: drivers wrap the SQLite error. */
function messagesOf(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++)
    parts.push(String(e.message ?? e));
  return parts.join(' | ');
}
