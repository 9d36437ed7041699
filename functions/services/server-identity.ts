import { eq } from 'drizzle-orm';
import type { Database } from '../../db/database';
import { serverIdentity, type ServerIdentity } from '../../db/schema';
import { formatInstallationId } from '../domain/installation-id';
import { generateKeyPair, importPrivateKey, importPublicKey } from '../domain/signing';

export interface Identity {
  installationId: string;
  createdAt: string;
  shadowPublicKey: string;
  shadowSigningKey: CryptoKey;
  shadowVerifyKey: CryptoKey;
}

const SELF = 'self';

/**
 * This server's identity: made once, at first start, and kept in its own
 * database (never synchronised). Safe to call from concurrent requests; later
 * calls are answered from memory.
 */
export class ServerIdentityStore {
  private loading: Promise<Identity> | null = null;

  constructor(
    private readonly db: Database,
    private readonly now: () => Date,
  ) {}

  get(): Promise<Identity> {
    if (!this.loading) {
      const loading = ensureIdentity(this.db, this.now());
      loading.catch(() => {
        if (this.loading === loading) this.loading = null;
      });
      this.loading = loading;
    }
    return this.loading;
  }
}

async function ensureIdentity(db: Database, at: Date): Promise<Identity> {
  let row: ServerIdentity | undefined = await db.orm.select().from(serverIdentity).where(eq(serverIdentity.id, SELF)).get();
  if (!row) {
    const keys = await generateKeyPair();
    const fresh: ServerIdentity = {
      id: SELF,
      installationId: formatInstallationId(crypto.getRandomValues(new Uint8Array(10))),
      createdAt: at.toISOString(),
      shadowPublicKey: keys.publicKey,
      shadowPrivateKey: keys.privateKey,
    };
    // Another process may have won the race on a shared database: keep whichever row is there.
    row = await db.write(async (tx) => {
      await tx.insert(serverIdentity).values(fresh).onConflictDoNothing();
      return (await tx.select().from(serverIdentity).where(eq(serverIdentity.id, SELF)).get())!;
    });
  }
  return {
    installationId: row.installationId,
    createdAt: row.createdAt,
    shadowPublicKey: row.shadowPublicKey,
    shadowSigningKey: await importPrivateKey(row.shadowPrivateKey),
    shadowVerifyKey: await importPublicKey(row.shadowPublicKey),
  };
}
