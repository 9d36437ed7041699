import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/processes';
import { startHandler, type HandlerProcess } from '../support/handler';

const run = promisify(execFile);

describe('npx tandem (operator CLI)', () => {
  let handler: HandlerProcess;
  const tandem = (args: string[], env: Record<string, string> = {}) =>
    run('node', ['infra/cli/tandem.mjs', ...args], { cwd: repoRoot, env: { ...process.env, TANDEM_URL: handler.url, TANDEM_TOKEN: handler.adminToken, ...env } });

  beforeAll(async () => {
    handler = await startHandler();
  });
  afterAll(() => handler?.stop());

  it('adds a terminal and lists it', async () => {
    await tandem(['add-terminal', 'AA-BB-CC-DD-EE-01', 'cli-terminal']);
    const { stdout } = await tandem(['terminals']);
    expect(stdout).toMatch(/aa:bb:cc:dd:ee:01\s+cli-terminal/);
  });

  it('creates a token and shows it once', async () => {
    const { stdout } = await tandem(['token', 'create', 'viewer', 'cli-viewer']);
    const token = JSON.parse(stdout).token;
    const viewer = await tandem(['terminals'], { TANDEM_TOKEN: token });
    expect(viewer.stdout).toContain('cli-terminal');
    const list = await tandem(['token', 'list']);
    expect(list.stdout).toContain('cli-viewer');
    expect(list.stdout).not.toContain(token);
  });

  it('shows the licence and the leases, and grants a shadow', async () => {
    const licence = await tandem(['license']);
    expect(licence.stdout).toContain('mode demo, demo (no licence installed)');
    expect(licence.stdout).toMatch(/primary\s+TDM-/);
    const shadow = JSON.parse((await tandem(['shadow', 'AA-BB-CC-DD-EE-01'])).stdout);
    expect(shadow.grant.payload).toMatchObject({ mode: 'view-only', terminal: { mac: 'aa:bb:cc:dd:ee:01' } });
    expect((await tandem(['leases'])).stdout).toContain('mac');
  });

  it('shows and pauses synchronisation, lists changes and reverts one', async () => {
    expect(JSON.parse((await tandem(['sync', 'pause'])).stdout).paused).toBe(true);
    expect(JSON.parse((await tandem(['sync'])).stdout)).toMatchObject({ paused: true });
    expect(JSON.parse((await tandem(['sync', 'resume'])).stdout).paused).toBe(false);
    expect((await tandem(['conflicts'])).stdout).toMatch(/^id\s+detectedAt/);

    await tandem(['add-terminal', 'AA-BB-CC-DD-EE-02', 'cli-undo']);
    const changes = (await tandem(['changes'])).stdout.split('\n');
    const created = changes.find((line) => /\bcreate\s+terminal\b/.test(line) && line.includes(' admin:'))!;
    expect(created).toBeDefined();
    const undone = JSON.parse((await tandem(['revert', created.split(/\s+/)[0]])).stdout);
    expect(undone.change.operation).toBe('delete');
    expect((await tandem(['terminals'])).stdout).not.toContain('cli-undo');
  });

  it('explains a refusal and exits non-zero', async () => {
    await expect(tandem(['add-terminal', 'not-a-mac', 'x'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('invalid_field') });
  });
});
