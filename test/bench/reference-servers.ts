import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../relay/support/files';
import { freePort } from '../support/ports';

/** A reference server of the benchmarks, in its own process group. */
export interface ReferenceServer {
  port: number;
  child: ChildProcess;
}

/** nginx (Debian's nginx-light) serving root over HTTP on 127.0.0.1, sendfile on, as a plant would set it up. */
export async function startNginx(root: string): Promise<ReferenceServer> {
  const port = await freePort();
  const prefix = tempDir('bench-nginx');
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes auto;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    root ${root};
  }
}
`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', conf], { stdio: 'ignore', detached: true });
  for (let i = 0; i < 50; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD' });
      await res.arrayBuffer();
      return { port, child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('nginx did not start (is nginx-light installed?)');
}

/** tftpd-hpa (Debian's in.tftpd, a process per transfer) serving dir on 127.0.0.1. */
export async function startTftpdHpa(dir: string): Promise<ReferenceServer> {
  const port = await freePort('udp');
  const child = spawn('in.tftpd', ['-L', '-s', dir, '-a', `127.0.0.1:${port}`], { stdio: 'ignore', detached: true });
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) throw new Error('in.tftpd did not start (is tftpd-hpa installed?)');
  return { port, child };
}
