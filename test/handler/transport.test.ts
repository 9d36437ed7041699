import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTrusting } from '../../functions/node-transport';
import { repoRoot } from '../../infra/local/processes';
import { apiClient, startHandler, type HandlerProcess } from '../support/handler';
import { handlersPerTest, logEntries } from '../support/handlers-per-test';
import { freePort } from '../support/ports';
import { selfSignedCertificate } from '../support/tls';

const run = promisify(execFile);
const handler = handlersPerTest();

const tandem = (env: Record<string, string>, ...args: string[]) => run('node', ['infra/cli/tandem.mjs', ...args], { cwd: repoRoot, env: { ...process.env, ...env } });

describe('transport between the servers of a pair, and from the CLI', () => {
  // One handler over HTTPS with a self-signed certificate, its own CA.
  let tls: { certFile: string; keyFile: string };
  let a: HandlerProcess;
  const peerToken = `tdm_test_tls_peer_${randomUUID()}`;
  beforeAll(async () => {
    tls = await selfSignedCertificate();
    a = await startHandler({ env: { TANDEM_SERVER_ID: 'tls-a', TANDEM_PEER_TOKEN: peerToken, TANDEM_TLS_CERT_FILE: tls.certFile, TANDEM_TLS_KEY_FILE: tls.keyFile } });
    const made = await apiClient(a.url, a.adminToken, fetchTrusting(tls.certFile)).post('/api/v1/terminals', { mac: 'aa:bb:cc:0b:00:01', name: 'over-tls' });
    if (made.status !== 201) throw new Error(`creating a terminal over HTTPS: ${made.status}`);
  });
  afterAll(() => a?.stop());

  it('a handler serves HTTPS with TANDEM_TLS_CERT_FILE and TANDEM_TLS_KEY_FILE; its peer accepts the certificate only with TANDEM_CA_FILE', async () => {
    expect(a.url).toMatch(/^https:/);
    expect(logEntries(a)).toContainEqual(expect.objectContaining({ msg: 'listening', url: a.url }));

    const peerOf = { TANDEM_ROLE: 'secondary', TANDEM_PEER_URL: a.url, TANDEM_PEER_TOKEN: peerToken };
    const [untrusting, b] = await Promise.all([handler({ TANDEM_SERVER_ID: 'tls-b', ...peerOf }), handler({ TANDEM_SERVER_ID: 'tls-c', ...peerOf, TANDEM_CA_FILE: tls.certFile })]);
    const refused = (await apiClient(untrusting.url, untrusting.adminToken).get('/api/v1/sync/status')).body;
    expect(refused.peer).toMatchObject({ reachable: false, error: { code: 'peer_unreachable', detail: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY/) } });

    const adminB = apiClient(b.url, b.adminToken);
    expect((await adminB.get('/api/v1/sync/status')).body.peer).toMatchObject({ reachable: true, serverId: 'tls-a', error: null });
    await adminB.post('/api/v1/sync/run', {});
    expect((await adminB.get('/api/v1/terminals?mac=aa:bb:cc:0b:00:01')).body.items).toEqual([expect.objectContaining({ name: 'over-tls' })]);
  });

  it('the CLI checks the handler\'s certificate, against TANDEM_CA_FILE as the handler does', async () => {
    const cli = { TANDEM_URL: a.url, TANDEM_TOKEN: a.adminToken };
    await expect(tandem(cli, 'terminals')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/does not answer \(.*(SELF_SIGNED|UNABLE_TO_VERIFY)/) });
    const listed = await tandem({ ...cli, TANDEM_CA_FILE: tls.certFile }, 'terminals');
    expect(listed.stdout).toMatch(/aa:bb:cc:0b:00:01\s+over-tls/);
    expect(listed.stderr).toBe('');
  });

  it('a handler whose TANDEM_PEER_URL is plain http to another machine says so in /healthz and in its log at start', async () => {
    // Configured only: without TANDEM_PEER_TOKEN the handler never calls it, so nothing leaves loopback.
    const peerUrl = 'http://198.51.100.7:8787';
    const h = await handler({ TANDEM_PEER_URL: peerUrl });
    const warning = expect.stringMatching(/^peer_plain_http: TANDEM_PEER_URL http:\/\/198\.51\.100\.7:8787 is plain http to another machine/);
    const health = await (await fetch(`${h.url}/healthz`, { signal: AbortSignal.timeout(5000) })).json();
    expect(health.warnings).toContainEqual(warning);
    expect(logEntries(h)).toContainEqual(expect.objectContaining({ level: 'warn', msg: warning }));

    // A peer on this machine over http is fine.
    const local = await handler({ TANDEM_PEER_URL: `http://127.0.0.1:${await freePort()}` });
    expect((await (await fetch(`${local.url}/healthz`)).json()).warnings).not.toContainEqual(expect.stringMatching(/^peer_plain_http/));
  });

  // Another machine as far as the URL tells; port 9 is one fetch refuses to connect to at all
  // (a "bad port"), so nothing leaves this machine and the CLI fails at once.
  it('the CLI warns on stderr before it sends a token over plain http to another machine', async () => {
    const cli = { TANDEM_URL: 'http://10.255.255.1:9', TANDEM_TOKEN: `tdm_${randomUUID()}` };
    const failed = await tandem(cli, 'terminals').catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2 });
    expect(failed.stderr).toMatch(/^tandem: warning: sending the API token over plain http to http:\/\/[\d.]+:\d+, another machine/);
    expect(failed.stderr).toContain('does not answer');
  });
});
