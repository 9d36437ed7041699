import { DomainError } from '../domain/errors';
import { changesPage, SCHEMA_VERSION_HEADER, SERVER_ID_HEADER, snapshotDocument, type ChangesPage, type SnapshotDocument } from './wire';

export interface PeerEndpoint {
  url: string;
  token: string;
}

/** Who is asking: sent with every request so the peer can refuse a mismatch. */
export interface Caller {
  serverId: string;
  schemaVersion: number;
}

/** The peer did not answer, answered with a problem, or sent something unreadable. */
export class PeerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    readonly problem?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'PeerError';
  }
}

/** The fetch the client calls the peer with: on Node one that trusts the plant's CA (TANDEM_CA_FILE). */
export type PeerFetch = (url: string, init: RequestInit) => Promise<Response>;

const TIMEOUTS = { page: 30_000, snapshot: 120_000, poke: 2_000, probe: 2_000, pullAndWait: 120_000 };
const MiB = 1024 * 1024;
/** The largest answer read from the peer: a page of 5,000 changes, a snapshot of a large plant; anything else is small. */
export const ANSWER_LIMITS = { page: 64 * MiB, snapshot: 512 * MiB, other: 1 * MiB };

/** The sync API of the other server, over fetch (the same on Node and on Workers). */
export function peerClient(peer: PeerEndpoint, caller: Caller, send: PeerFetch = (url, init) => fetch(url, init), limits = ANSWER_LIMITS) {
  const base = peer.url.replace(/\/+$/, '');
  const request = async (method: string, path: string, timeoutMs: number, maxBytes = limits.other): Promise<unknown> => {
    let res: Response;
    try {
      res = await send(base + path, {
        method,
        headers: {
          authorization: `Bearer ${peer.token}`,
          [SERVER_ID_HEADER]: caller.serverId,
          [SCHEMA_VERSION_HEADER]: String(caller.schemaVersion),
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } })?.cause?.code;
      throw new PeerError('peer_unreachable', `The peer at ${base} does not answer (${cause ?? (err as Error)?.name ?? 'error'}).`);
    }
    const text = await boundedText(res, maxBytes).catch((err: unknown) => {
      if (err instanceof PeerError) throw err;
      return '';
    });
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!res.ok) {
      const problem = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
      const code = typeof problem.code === 'string' ? problem.code : `peer_http_${res.status}`;
      throw new PeerError(code, `The peer at ${base} refused ${method} ${path.split('?')[0]}: ${res.status} ${String(problem.detail ?? text.slice(0, 200))}`, res.status, problem);
    }
    return body;
  };
  const parse = <T extends { schemaVersion: number; serverId: string }>(
    schema: { safeParse: (v: unknown) => { success: boolean; data?: T; error?: { message: string } } },
    value: unknown,
    what: string,
  ): T => {
    const result = schema.safeParse(value);
    if (!result.success) throw new PeerError('peer_bad_response', `The peer at ${base} sent ${what} this server cannot read: ${result.error!.message.slice(0, 300)}`);
    const answer = result.data!;
    // Checked here too: a peer that does not check the request header must not slip through.
    if (answer.schemaVersion !== caller.schemaVersion)
      throw new PeerError(
        'schema_mismatch',
        `This server (${caller.serverId}) is at schema version ${caller.schemaVersion} and the peer (${answer.serverId}) at ${answer.schemaVersion}; upgrade both servers to the same release before they synchronise.`,
        409,
        { localSchemaVersion: caller.schemaVersion, peerSchemaVersion: answer.schemaVersion },
      );
    return answer;
  };

  return {
    url: base,
    changes: async (after: number, limit: number): Promise<ChangesPage> =>
      parse(changesPage, await request('GET', `/api/v1/sync/changes?after=${after}&limit=${limit}`, TIMEOUTS.page, limits.page), 'a page of changes'),
    /** The changes this (restored) server made that the peer holds, in the peer's order after `after`. */
    heldChanges: async (after: number, limit: number): Promise<ChangesPage> =>
      parse(changesPage, await request('GET', `/api/v1/sync/changes?after=${after}&limit=${limit}&origin=caller`, TIMEOUTS.page, limits.page), 'a page of changes'),
    snapshot: async (): Promise<SnapshotDocument> => parse(snapshotDocument, await request('GET', '/api/v1/sync/snapshot', TIMEOUTS.snapshot, limits.snapshot), 'a snapshot'),
    poke: async (): Promise<void> => {
      await request('POST', '/api/v1/sync/poke', TIMEOUTS.poke);
    },
    /** Makes the peer pull now and answers with what its pull did. */
    pokeAndWait: async (): Promise<Record<string, unknown>> => (await request('POST', '/api/v1/sync/poke?wait=true', TIMEOUTS.pullAndWait)) as Record<string, unknown>,
    healthy: async (): Promise<boolean> => {
      try {
        const res = await send(`${base}/healthz`, { signal: AbortSignal.timeout(TIMEOUTS.probe) });
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    },
    probe: async (after: number): Promise<ChangesPage> =>
      parse(changesPage, await request('GET', `/api/v1/sync/changes?after=${after}&limit=0`, TIMEOUTS.probe), 'a page of changes'),
  };
}
export type PeerClient = ReturnType<typeof peerClient>;

/** The body as text, read no further than `maxBytes`: a peer (or anyone on the way) cannot make this server hold more. */
async function boundedText(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const tooLarge = () => new PeerError('peer_answer_too_large', `The peer's answer is larger than ${maxBytes} bytes; it is not read.`);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** A peer failure as the status and the run route show it. */
export function describeFailure(err: unknown): { code: string; detail: string } {
  if (err instanceof PeerError || err instanceof DomainError) return { code: err.code, detail: err instanceof DomainError ? err.detail : err.message };
  return { code: 'sync_failed', detail: String((err as Error)?.message ?? err) };
}
