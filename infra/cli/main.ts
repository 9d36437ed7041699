/**
 * The operator's CLI: a thin client of the admin API (how it reaches a handler: connection.ts),
 * and the offline restore of a backup into a fresh server (backup.ts).
 */
import { readFileSync } from 'node:fs';
import { baseUrl, call, fail, listAll, send, whyNoAnswer } from './connection';
import { groupIdOf, namesOf } from './names';
import { table } from './output';

const usage = `usage: npx tandem <command>

  status                         health of the handler (and of TANDEM_URLS, comma separated)
  terminals                      list terminals (with their group's name)
  groups                         list groups (with their parent's name)
  pending                        terminals waiting to be configured
  add-terminal <mac> <name> [group]   group by name (or id)
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
  firmware list                  firmware packages
  firmware upload <file> --name <name> --version <version>
                                 stream an image to the object store and register it (sha256 and size
                                 computed on the way); the same bytes again change nothing, other bytes
                                 under an existing name and version are refused
  export [file]                  the whole configuration as one JSON document (default: stdout; mode 0600)
  import <file> [--dry-run]      import a document into an empty server; --dry-run: what it would
                                 add, change and remove on this one
  backup <file>                  an online, consistent copy of the handler's database (mode 0600)
  restore <file> [--same-installation] [--force]
                                 offline, the handler stopped: the backup becomes this server's database
                                 (DATABASE_URL / TANDEM_DATA_DIR and TANDEM_SERVER_ID as the handler reads
                                 them); a new installation id unless --same-installation (the backed-up
                                 machine is gone for good and its licence moves here)
  api <METHOD> <path> [json]     any API call, e.g. api GET /api/v1/groups
  emulate [options]              emulated thin clients boot against the relays (emulate --help)
  dhcp-config --server isc|kea|dnsmasq|windows --relays <its relay>,<the other relay>
                                 the site DHCP server's lines for booting terminals through the relays
                                 (dhcp-config --help)

environment: TANDEM_URL (http://127.0.0.1:8787), TANDEM_TOKEN (default: ./data/primary-admin-token),
             TANDEM_CA_FILE (PEM: a plant's own CA, trusted besides the public ones)`;

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
      const [items, group] = await Promise.all([listAll('/api/v1/terminals'), namesOf('groups')]);
      return table(items.map((t) => ({ ...t, group: group(t.groupId) })), ['mac', 'name', 'group', 'version']);
    }
    case 'groups': {
      const [items, group, firmware] = await Promise.all([listAll('/api/v1/groups'), namesOf('groups'), namesOf('firmware-packages')]);
      return table(items.map((g) => ({ ...g, parent: group(g.parentId), firmware: firmware(g.firmwarePackageId) })), ['name', 'parent', 'firmware', 'version']);
    }
    // Loaded when asked for: the restore brings the database layer, which other commands do without.
    case 'firmware':
      return (await import('./firmware')).firmwareCommand(rest);
    case 'export':
      return (await import('./configuration')).exportCommand(rest);
    case 'import':
      return (await import('./configuration')).importCommand(rest);
    case 'backup':
      return (await import('./backup')).backupCommand(rest);
    case 'restore':
      return (await import('./backup')).restoreCommand(rest);
    case 'pending': {
      const res = (await call('GET', '/api/v1/pending-terminals?limit=1000')) as { items: Record<string, unknown>[] };
      return table(res.items, ['mac', 'firstSeen', 'lastSeen', 'relayId', 'requestCount']);
    }
    case 'add-terminal': {
      const [mac, name, group] = rest;
      if (!mac || !name) fail('add-terminal needs a MAC and a name');
      const groupId = group ? await groupIdOf(group) : undefined;
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
    case 'dhcp-config':
      return (await import('../dhcp/dhcp-config')).dhcpConfigCommand(rest);
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
