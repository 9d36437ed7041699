import { DomainError } from './domain/errors';

export interface HandlerSettings {
  host: string;
  port: number;
  serverId: string;
  role: 'primary' | 'secondary';
  databaseUrl: string;
  databaseAuthToken?: string;
  adminToken?: string;
  dataDir: string;
  peerUrl?: string;
  peerToken?: string;
  benchReference: boolean;
}

type Env = Record<string, string | undefined>;

/** The handler's settings from its environment, with the defaults of ARCHITECTURE.md. */
export function handlerSettings(env: Env): HandlerSettings {
  const serverId = env.TANDEM_SERVER_ID || 'primary';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(serverId))
    throw new DomainError(400, 'invalid_setting', `TANDEM_SERVER_ID "${serverId}" must be letters, digits, ".", "_" or "-".`);
  const role = env.TANDEM_ROLE || 'primary';
  if (role !== 'primary' && role !== 'secondary')
    throw new DomainError(400, 'invalid_setting', `TANDEM_ROLE must be "primary" or "secondary", not "${role}".`);
  const port = Number(env.PORT || 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DomainError(400, 'invalid_setting', `PORT "${env.PORT}" is not a port number.`);
  const dataDir = env.TANDEM_DATA_DIR || './data';
  return {
    host: env.HOST || '127.0.0.1',
    port,
    serverId,
    role,
    databaseUrl: env.DATABASE_URL || `file:${dataDir}/${serverId}.db`,
    databaseAuthToken: env.DATABASE_AUTH_TOKEN || undefined,
    adminToken: env.TANDEM_ADMIN_TOKEN || undefined,
    dataDir,
    peerUrl: env.TANDEM_PEER_URL || undefined,
    peerToken: env.TANDEM_PEER_TOKEN || undefined,
    benchReference: env.TANDEM_BENCH_REFERENCE === '1',
  };
}
