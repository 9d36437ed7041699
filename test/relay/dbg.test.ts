import { it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { RawTftpClient } from './support/raw-tftp';
import { startTestRelay } from './support/relay-process';
import { tempDir } from './support/files';
it('dbg', async () => {
  const boot = tempDir('dbg'); writeFileSync(boot + '/small.bin', Buffer.alloc(100));
  const relay = await startTestRelay({ RELAY_BOOT_DIR: boot, RELAY_LOG_LEVEL: 'debug' });
  let fails = 0;
  for (let i = 0; i < 200; i++) {
    const c = await RawTftpClient.open(relay.tftpPort);
    c.request('small.bin', [['blksize', '512']]);
    try { await c.next(300); c.ack(0); await c.next(300); c.ack(1); } catch { fails++; console.log('fail', i, c.serverPort); }
    await c.close();
  }
  console.log('fails', fails);
  await relay.stop();
  console.log(relay.process.lines.filter((l) => !l.includes('"complete"')).slice(-10).join('\n'));
}, 60000);
