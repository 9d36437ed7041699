import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startHandler, type ApiClient, type HandlerProcess } from '../support/handler';
import { dumpDatabase } from '../support/db-dump';

describe('bad input is refused with a problem document and changes nothing', () => {
  let handler: HandlerProcess;
  let admin: ApiClient;
  let terminal: { id: string; version: number };
  let dbFile: string;

  beforeAll(async () => {
    handler = await startHandler({ env: { TANDEM_SERVER_ID: 'bad-input' } });
    dbFile = join(handler.dataDir, 'bad-input.db');
    admin = apiClient(handler.url, handler.adminToken);
    terminal = (await admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:00:00:01', name: 'press-1' })).body;
    await admin.patch(`/api/v1/terminals/${terminal.id}`, { hardwareModel: 'TC-1' });
  });
  afterAll(() => handler?.stop());

  const raw = (method: string, path: string, body: string, contentType = 'application/json', extra: Record<string, string> = {}) =>
    fetch(handler.url + path, { method, headers: { authorization: `Bearer ${handler.adminToken}`, 'content-type': contentType, ...extra }, body }).then(async (res) => ({
      status: res.status,
      type: res.headers.get('content-type'),
      body: await res.json(),
    }));

  const cases: [string, () => Promise<{ status: number; type?: string | null; body: any }>, number, string, string?][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['a malformed MAC', () => admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:00:00', name: 'x' }), 400, 'invalid_field', 'mac'],
    ['a duplicate MAC in another spelling', () => admin.post('/api/v1/terminals', { mac: 'AA-BB-CC-00-00-01', name: 'other' }), 409, 'duplicate', 'mac'],
    ['a duplicate name', () => admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:00:00:02', name: 'press-1' }), 409, 'duplicate', 'name'],
    ['a missing field', () => admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:00:00:03' }), 400, 'invalid_field', 'name'],
    ['a wrong type', () => admin.post('/api/v1/terminal-servers', { name: 'rds', host: 'rds1', port: 'rdp' }), 400, 'invalid_field', 'port'],
    ['an unknown field on update', () => admin.patch(`/api/v1/terminals/${terminal.id}`, { colour: 'red' }), 400, 'invalid_field'],
    ['a reference to nothing', () => admin.post('/api/v1/terminals', { mac: 'aa:bb:cc:00:00:04', name: 'y', groupId: 'nope' }), 400, 'unknown_reference', 'groupId'],
    ['a body that is not JSON', () => raw('POST', '/api/v1/terminals', '{"mac": "aa:bb:cc:00:00:05", name'), 400, 'malformed_json'],
    ['a body that is not declared JSON', () => raw('POST', '/api/v1/terminals', 'mac=aa', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type'],
    ['a body over 1 MiB', () => raw('POST', '/api/v1/terminals', JSON.stringify({ mac: 'aa:bb:cc:00:00:06', name: 'big', options: { blob: 'x'.repeat(1024 * 1024) } })), 413, 'body_too_large'],
    ['a stale If-Match', () => admin.patch(`/api/v1/terminals/${terminal.id}`, { name: 'renamed' }, { 'if-match': '"1"' }), 412, 'version_mismatch'],
    ['a stale If-Match on delete', () => admin.delete(`/api/v1/terminals/${terminal.id}`, { 'if-match': '"1"' }), 412, 'version_mismatch'],
    ['an update of a record that does not exist', () => admin.patch('/api/v1/terminals/missing', { name: 'z' }), 404, 'not_found'],
    ['a port out of range', () => admin.post('/api/v1/terminal-servers', { name: 'rds', host: 'rds1', port: 70000 }), 400, 'invalid_field', 'port'],
    ['a firmware object key that climbs out', () => admin.post('/api/v1/firmware-packages', { name: 'fw', packageVersion: '1', objectKey: '../../etc/passwd', sha256: 'b'.repeat(64), size: 1 }), 400, 'invalid_field', 'objectKey'],
  ];

  it.each(cases)('refuses %s', async (_what, send, status, code, field) => {
    const before = await dumpDatabase(dbFile);
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.status).toBe(status);
    expect(typeof res.body.detail).toBe('string');
    if (field) expect(res.body.field).toBe(field);
    expect(await dumpDatabase(dbFile)).toEqual(before);
  });

  it('answers problem+json for refusals', async () => {
    const res = await fetch(`${handler.url}/api/v1/terminals`, { method: 'POST', headers: { authorization: `Bearer ${handler.adminToken}`, 'content-type': 'application/json' }, body: '[' });
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('accepts the current If-Match and bumps the version', async () => {
    const current = await admin.get(`/api/v1/terminals/${terminal.id}`);
    expect(current.headers.get('etag')).toBe('"2"');
    const res = await admin.patch(`/api/v1/terminals/${terminal.id}`, { name: 'press-1b' }, { 'if-match': current.headers.get('etag')! });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(3);
    expect(res.headers.get('etag')).toBe('"3"');
  });
});
