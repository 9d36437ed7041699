import type { OpenAPIHono } from '@hono/zod-openapi';
import { displayClients, firmwarePackages, terminalGroups, terminals, terminalServers } from '../../db/schema';
import type { AppEnv } from '../http/context';
import type { RouteTable } from '../http/route';
import { mountResource } from './resource';

/** Mounts the admin API for the configuration records. */
export function mountConfiguration(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  mountResource(app, table, { entity: 'terminal-server', path: '/api/v1/terminal-servers', tag: 'terminal servers', orderBy: terminalServers.name });
  mountResource(app, table, { entity: 'display-client', path: '/api/v1/display-clients', tag: 'display clients', orderBy: displayClients.name });
  mountResource(app, table, { entity: 'firmware-package', path: '/api/v1/firmware-packages', tag: 'firmware', orderBy: firmwarePackages.name });
  mountResource(app, table, { entity: 'group', path: '/api/v1/groups', tag: 'groups', orderBy: terminalGroups.name, filters: { parentId: terminalGroups.parentId } });
  mountResource(app, table, {
    entity: 'terminal',
    path: '/api/v1/terminals',
    tag: 'terminals',
    orderBy: terminals.name,
    filters: { groupId: terminals.groupId, mac: terminals.mac },
  });
}
