/**
 * The operator's CLI: a thin client of the admin API. It talks to TANDEM_URL
 * (default http://127.0.0.1:8787) with TANDEM_TOKEN (default: the bootstrap
 * token file of the local system), checking an https:// handler's certificate
 * against the public CAs and TANDEM_CA_FILE when set (a plant's own CA).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isPlainHttpToAnotherMachine } from '../../functions/domain/transport';
import { fetchTrusting } from '../../functions/node-transport';

const usage = `usage: npx tandem <command>

  status                         health of the handler (and of TANDEM_URLS, comma separated)
  terminals                      list terminals
  pending                        terminals waiting to be configured
  add-terminal <mac> <name> [group-id]
  token create <role> <name>     role: admin | operator | viewer | relay | peer (shown once)
  token list | token revoke <id>
  license                        the licence, its state and usage per server
  license install <file>         install or replace the licence (a signed licence file)
  leases | lease revoke <mac>    this server's terminal-connection leases
  shadow <terminal> [interactive] a signed shadow grant for a terminal (id or MAC)
  audit [entity]                 the newest audit events
  sync | sync run|pause|resume   synchronisation with the peer: state, pull now, maintenance pause
  conflicts [all] | conflict ack <id>
                                 conflicts met while synchronising (open ones by default)
  changes [record-id]            the newest configuration changes, here and from the peer
  revert <change-id> [force]     undo a change by writing its inverse
  api <METHOD> <path> [json]     any API call, e.g. api GET /api/v1/groups
  emulate [options]              emulated thin clients boot against the relays (emulate --help)

environment: TANDEM_URL (http://127.0.0.1:8787), TANDEM_TOKEN (default: ./data/primary-admin-token),
             TANDEM_CA_FILE (PEM: a plant's own CA, trusted besides the public ones)`;

const baseUrl = (process.env.TANDEM_URL ?? 'http://127.0.0.1:8787').replace(/\/$/, '');

function token(): string {
  if (process.env.TANDEM_TOKEN) return process.env.TANDEM_TOKEN;
  const file = './data/primary-admin-token';
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  fail('set TANDEM_TOKEN to an API token (none found in ./data/primary-admin-token)');
}

function fail(message: string): never {
  console.error(`tandem: ${message}`);
  process.exit(2);
}

function trustedFetch() {
  try {
    return fetchTrusting(process.env.TANDEM_CA_FILE || undefined);
  } catch (err) {
    fail((err as Error).message);
  }
}
const send = trustedFetch();

/** fetch says "fetch failed"; the cause says why (a refused connection, a certificate it does not trust). */
function whyNoAnswer(err: unknown): string {
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

async function call(method: string, path: string, body?: unknown, url = baseUrl): Promise<unknown> {
  let res: Response;
  warnIfPlainHttp(url);
  try {
    res = await send(url + path, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    fail(`${url} does not answer (${whyNoAnswer(err)})`);
  }
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!res.ok) fail(`${method} ${path}: ${res.status} ${parsed?.code ?? ''} — ${parsed?.detail ?? text}`);
  return parsed;
}

const table = (rows: Record<string, unknown>[], columns: string[]) => {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ');
  console.log(line(columns));
  for (const r of rows) console.log(line(columns.map((c) => String(r[c] ?? ''))));
};

async function main(args: string[]) {
  const [command, ...rest] = args;
  switch (command) {
    case 'status': {
      const urls = (process.env.TANDEM_URLS ?? baseUrl).split(',');
      for (const url of urls) {
        try {
          const res = await send(`${url.replace(/\/$/, '')}/healthz`, {});
          console.log(`${url}  ${res.status}  ${await res.text()}`);
        } catch (err) {
          console.log(`${url}  down  ${whyNoAnswer(err)}`);
        }
      }
      return;
    }
    case 'terminals': {
      const res = (await call('GET', '/api/v1/terminals?limit=1000')) as { items: Record<string, unknown>[] };
      return table(res.items, ['mac', 'name', 'groupId', 'version']);
    }
    case 'pending': {
      const res = (await call('GET', '/api/v1/pending-terminals?limit=1000')) as { items: Record<string, unknown>[] };
      return table(res.items, ['mac', 'firstSeen', 'lastSeen', 'relayId', 'requestCount']);
    }
    case 'add-terminal': {
      const [mac, name, groupId] = rest;
      if (!mac || !name) fail('add-terminal needs a MAC and a name');
      return console.log(JSON.stringify(await call('POST', '/api/v1/terminals', { mac, name, ...(groupId ? { groupId } : {}) }), null, 2));
    }
    case 'token': {
      const [sub, a, b] = rest;
      if (sub === 'create' && a && b) return console.log(JSON.stringify(await call('POST', '/api/v1/tokens', { role: a, name: b }), null, 2));
      if (sub === 'list') return table(((await call('GET', '/api/v1/tokens')) as { items: Record<string, unknown>[] }).items, ['id', 'name', 'role', 'createdAt', 'revokedAt']);
      if (sub === 'revoke' && a) return void (await call('DELETE', `/api/v1/tokens/${encodeURIComponent(a)}`));
      return fail('token create <role> <name> | token list | token revoke <id>');
    }
    case 'license': {
      const [sub, file] = rest;
      if (sub === 'install') {
        if (!file) fail('license install <file>');
        let licence: unknown;
        try {
          licence = JSON.parse(readFileSync(file, 'utf8'));
        } catch (err) {
          fail(`${file} is not a licence file: ${(err as Error).message}`);
        }
        await call('PUT', '/api/v1/license', licence);
      } else if (sub) return fail('license | license install <file>');
      const view = (await call('GET', '/api/v1/license')) as {
        mode: string;
        state: string;
        license: { licenseId: string; customer: string; expiresAt: string | null } | null;
        servers: Record<string, unknown>[];
        warnings: string[];
      };
      console.log(`mode ${view.mode}, ${view.state}${view.license ? `: ${view.license.licenseId} for ${view.license.customer}, expires ${view.license.expiresAt ?? 'never'}` : ' (no licence installed)'}`);
      table(view.servers, ['role', 'installationId', 'serverId', 'leases', 'licensed']);
      for (const warning of view.warnings) console.log(`warning: ${warning}`);
      return;
    }
    case 'leases':
      return table(((await call('GET', '/api/v1/leases?limit=1000')) as { items: Record<string, unknown>[] }).items, ['mac', 'grantedAt', 'renewedAt', 'expiresAt', 'relayId', 'valid']);
    case 'lease': {
      const [sub, mac] = rest;
      if (sub === 'revoke' && mac) return void (await call('DELETE', `/api/v1/leases/${encodeURIComponent(mac)}`));
      return fail('lease revoke <mac>');
    }
    case 'shadow': {
      const [terminal, mode] = rest;
      if (!terminal) fail('shadow <terminal id or MAC> [interactive]');
      const body = { mode: mode === 'interactive' ? 'interactive' : 'view-only' };
      return console.log(JSON.stringify(await call('POST', `/api/v1/terminals/${encodeURIComponent(terminal)}/shadow`, body), null, 2));
    }
    case 'audit': {
      const query = rest[0] ? `&entity=${encodeURIComponent(rest[0])}` : '';
      const res = (await call('GET', `/api/v1/audit-events?limit=50${query}`)) as { items: Record<string, unknown>[] };
      return table(res.items, ['at', 'serverId', 'actor', 'action', 'entityId']);
    }
    case 'sync': {
      const [sub] = rest;
      if (!sub) return console.log(JSON.stringify(await call('GET', '/api/v1/sync/status'), null, 2));
      if (sub === 'run' || sub === 'pause' || sub === 'resume') return console.log(JSON.stringify(await call('POST', `/api/v1/sync/${sub}`, {}), null, 2));
      return fail('sync | sync run | sync pause | sync resume');
    }
    case 'conflicts': {
      const res = (await call('GET', `/api/v1/sync/conflicts?limit=200${rest[0] === 'all' ? '' : '&open=true'}`)) as { items: Record<string, unknown>[] };
      return table(res.items, ['id', 'detectedAt', 'kind', 'entity', 'recordId', 'resolution', 'acknowledgedAt']);
    }
    case 'conflict': {
      const [sub, id] = rest;
      if (sub === 'ack' && id) return console.log(JSON.stringify(await call('POST', `/api/v1/sync/conflicts/${encodeURIComponent(id)}/acknowledge`, {}), null, 2));
      return fail('conflict ack <id>');
    }
    case 'changes': {
      const query = rest[0] ? `&recordId=${encodeURIComponent(rest[0])}` : '';
      const res = (await call('GET', `/api/v1/changes?limit=50${query}`)) as { items: Record<string, unknown>[] };
      return table(res.items, ['changeId', 'at', 'origin', 'actor', 'operation', 'entity', 'recordId', 'status']);
    }
    case 'revert': {
      const [changeId, force] = rest;
      if (!changeId || (force !== undefined && force !== 'force')) fail('revert <change-id> [force]');
      return console.log(JSON.stringify(await call('POST', `/api/v1/changes/${encodeURIComponent(changeId)}/revert${force ? '?force=true' : ''}`, {}), null, 2));
    }
    case 'emulate':
      return process.exit(await (await import('../emulator/cli')).runEmulate(rest));
    case 'api': {
      const [method, path, json] = rest;
      if (!method || !path) fail('api <METHOD> <path> [json]');
      let body: unknown;
      try {
        body = json === undefined ? undefined : JSON.parse(json);
      } catch {
        fail('the body is not valid JSON');
      }
      return console.log(JSON.stringify(await call(method.toUpperCase(), path, body), null, 2));
    }
    default:
      console.log(usage);
      if (command && command !== 'help' && command !== '--help') process.exit(2);
  }
}

await main(process.argv.slice(2));
