import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';

// In a child process: pinning the test runner itself would slow every test after it.
const allowedAfterPinning = (cpu: number) =>
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import('./relay/cpu-affinity.ts').then(({ pinToCpu }) => {
        const pinned = pinToCpu(${cpu});
        const line = require('node:fs').readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\\s*(.*)$/m)[1];
        console.log(JSON.stringify({ pinned, line }));
      })`,
    ],
    { encoding: 'utf8' },
  );

describe.runIf(process.platform === 'linux')('pinToCpu', () => {
  it('keeps the event loop thread on the one core asked for', () => {
    const cpu = availableParallelism() - 1;
    expect(JSON.parse(allowedAfterPinning(cpu))).toEqual({ pinned: true, line: String(cpu) });
  });

  it('reads the cores a process may use from its affinity mask, as taskset narrows it', () => {
    const script = ['--import', 'tsx', '-e', `import('./relay/cpu-affinity.ts').then(({ allowedCpus }) => console.log(JSON.stringify(allowedCpus())))`];
    const last = availableParallelism() - 1;
    expect(JSON.parse(execFileSync(process.execPath, script, { encoding: 'utf8' }))).toEqual(Array.from({ length: last + 1 }, (_, i) => i));
    expect(JSON.parse(execFileSync('taskset', ['-c', String(last), process.execPath, ...script], { encoding: 'utf8' }))).toEqual([last]);
  });

  it('refuses a core that does not exist, leaving the thread where it was', () => {
    const { pinned, line } = JSON.parse(allowedAfterPinning(1023));
    expect(pinned).toBe(false);
    expect(line).not.toBe('1023');
  });
});
