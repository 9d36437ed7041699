import type { OpenAPIHono } from '@hono/zod-openapi';
import { access } from '../domain/roles';
import { actorOf, type AppEnv } from '../http/context';
import { declareRoute, type RouteTable } from '../http/route';
import { backupUnavailable } from '../services/backup';

/** An online copy of this server's database (`tandem backup`); restoring is offline (`tandem restore`). */
export function mountBackup(app: OpenAPIHono<AppEnv>, table: RouteTable): void {
  declareRoute(
    app,
    table,
    {
      method: 'get',
      path: '/api/v1/backup',
      access: access.administer,
      summary:
        "A consistent copy of this server's database, taken while it serves and takes writes (SQLite VACUUM INTO), as application/vnd.sqlite3. It holds token hashes, the server's signing key and credentials: keep it as secret as the server. Restore it offline with `tandem restore`",
      tags: ['operations'],
      responses: {
        200: { description: 'The database file', content: { 'application/vnd.sqlite3': { schema: { type: 'string', format: 'binary' } } } },
        409: { description: 'backup_unavailable: the database is a libSQL server, backed up with its own tools' },
      },
    },
    async (c) => {
      const { databaseBackups, serverId } = c.var.deps;
      if (!databaseBackups) throw backupUnavailable();
      const copy = await databaseBackups.copy(actorOf(c.var.principal));
      const stamp = copy.takenAt.replace(/[:.]/g, '-');
      return c.body(copy.body, 200, {
        'content-type': 'application/vnd.sqlite3',
        'content-length': String(copy.size),
        'content-disposition': `attachment; filename="tandem-${serverId}-${stamp}.db"`,
        'cache-control': 'no-store',
        'x-tandem-backup-taken-at': copy.takenAt,
      });
    },
  );
}
