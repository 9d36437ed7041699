/**
 * How the CLI reaches a handler: TANDEM_URL (default http://127.0.0.1:8787) with TANDEM_TOKEN
 * (default: the bootstrap token file of the local system), checking an https:// handler's
 * certificate against the public CAs and TANDEM_CA_FILE when set (a plant's own CA).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isPlainHttpToAnotherMachine } from '../../functions/domain/transport';
import { fetchTrusting } from '../../functions/node-transport';

export const baseUrl = (process.env.TANDEM_URL ?? 'http://127.0.0.1:8787').replace(/\/$/, '');

/** Says why on stderr and exits with status 2: every refusal of the CLI ends here. */
export function fail(message: string): never {
  console.error(`tandem: ${message}`);
  process.exit(2);
}

export function token(): string {
  if (process.env.TANDEM_TOKEN) return process.env.TANDEM_TOKEN;
  const file = './data/primary-admin-token';
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  fail('set TANDEM_TOKEN to an API token (none found in ./data/primary-admin-token)');
}

function trustedFetch() {
  try {
    return fetchTrusting(process.env.TANDEM_CA_FILE || undefined);
  } catch (err) {
    fail((err as Error).message);
  }
}
export const send = trustedFetch();

/** fetch says "fetch failed"; the cause says why (a refused connection, a certificate it does not trust). */
export function whyNoAnswer(err: unknown): string {
  const cause = (err as { cause?: { message?: string; code?: string } }).cause;
  return cause?.message ? `${cause.message}${cause.code ? ` (${cause.code})` : ''}` : String((err as Error).message ?? err);
}

let warnedPlainHttp = false;
/** Said once, on stderr: the token is about to cross the network readable by anyone on the way. */
function warnIfPlainHttp(url: string): void {
  if (warnedPlainHttp || !isPlainHttpToAnotherMachine(url)) return;
  warnedPlainHttp = true;
  console.error(`tandem: warning: sending the API token over plain http to ${url}, another machine: anyone on the network can read it. Use the handler's https:// URL (and TANDEM_CA_FILE for a plant's own CA).`);
}

/**
 * One API request with the token; answers the response when it is a success, else says the
 * problem (status, code, detail) and exits. `init.body` may be a stream (sent as it is read).
 */
export async function request(method: string, path: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}, url = baseUrl): Promise<Response> {
  let res: Response;
  warnIfPlainHttp(url);
  try {
    res = await send(url + path, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...init.headers },
      body: init.body,
      ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
  } catch (err) {
    fail(`${url} does not answer (${whyNoAnswer(err)})`);
  }
  if (!res.ok) {
    const text = await res.text();
    let parsed: { code?: string; detail?: string } | null = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    fail(`${method} ${path.split('?')[0]}: ${res.status} ${parsed?.code ?? ''} — ${parsed?.detail ?? text}`);
  }
  return res;
}

/** A JSON API call: the parsed answer (null for an empty one). */
export async function call(method: string, path: string, body?: unknown, url = baseUrl): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await request(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }, url);
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** Every item of a list route, page by page (at most `max`). */
export async function listAll(path: string, max = 1_000_000): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const join = path.includes('?') ? '&' : '?';
  for (let offset = 0; offset < max; offset += 1000) {
    const page = (await call('GET', `${path}${join}limit=1000&offset=${offset}`)) as { items: Record<string, unknown>[]; total?: number };
    items.push(...page.items);
    if (page.items.length < 1000 || (page.total !== undefined && items.length >= page.total)) break;
  }
  return items;
}
