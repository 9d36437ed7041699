import { createSocket, type Socket } from 'node:dgram';
import { createRequire } from 'node:module';
import { sockaddr } from '../tftp/thread/sockaddr';

/**
 * UDP sockets that see only what arrives on one network interface (SO_BINDTODEVICE) and send out of
 * it, so that proxyDHCP knows which link a request came in on and answers on that link.
 *
 * Why a socket per interface and not one socket reading IP_PKTINFO: Node's dgram drops a datagram's
 * ancillary data, so IP_PKTINFO would need a receive loop of our own (a thread, or polling) beside
 * the event loop, and sendmsg with the interface on every answer: an answer broadcast to
 * 255.255.255.255 from an unbound socket leaves by the routing table's choice (the default route's
 * interface, or ENETUNREACH on a link with no route), not by the client's link. A socket bound to its
 * interface gets both right with Node's own I/O; its cost is a rescan for interfaces that come and go
 * (relay/dhcp/proxy-dhcp.ts). The descriptor is made and bound here, the device set before the bind
 * (no datagram from another link is ever queued on it), then handed to Node.
 */
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_BROADCAST = 6;
const SO_BINDTODEVICE = 25;

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  bind(fd: number, address: Buffer, length: number): number;
  close(fd: number): number;
  strerror(errno: number): string;
  errno(): number;
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    if (process.platform !== 'linux') return (libc = null);
    const koffi = createRequire(import.meta.url)('koffi');
    const lib = koffi.load(null);
    libc = {
      socket: lib.func('int socket(int domain, int type, int protocol)'),
      setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)'),
      bind: lib.func('int bind(int fd, const void *addr, uint32_t length)'),
      close: lib.func('int close(int fd)'),
      strerror: lib.func('const char *strerror(int code)'),
      errno: () => koffi.errno(),
    };
  } catch {
    libc = null;
  }
  return libc;
}

/** Whether sockets can be bound to an interface here (Linux, koffi's binary present). */
export const deviceSocketsAvailable = (): boolean => loadLibc() !== null;

/** A system call that failed, with errno's code (EADDRINUSE, ENODEV, …) as Node names it. */
class SocketError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const ERRNO_CODES: Record<number, string> = { 1: 'EPERM', 13: 'EACCES', 19: 'ENODEV', 98: 'EADDRINUSE', 99: 'EADDRNOTAVAIL' };

/**
 * A dgram socket bound to address:port that receives only datagrams that came in on device and
 * sends out of it (broadcast allowed; the address reusable, as the site's DHCP server may share the
 * host). Rejects with an error whose code is errno's name.
 */
export function deviceSocket(device: string, address: string, port: number): Promise<Socket> {
  const c = loadLibc();
  if (!c) return Promise.reject(new Error('binding a socket to an interface needs Linux and koffi'));
  const fd = c.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Promise.reject(failure(c, 'socket'));
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  const name = Buffer.from(`${device}\0`, 'latin1');
  const at = sockaddr(address, port);
  const error =
    c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4) < 0
      ? failure(c, 'SO_REUSEADDR')
      : c.setsockopt(fd, SOL_SOCKET, SO_BROADCAST, one, 4) < 0
        ? failure(c, 'SO_BROADCAST')
        : c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length) < 0
          ? failure(c, `SO_BINDTODEVICE ${device}`)
          : c.bind(fd, at, at.length) < 0
            ? failure(c, `bind ${address}:${port} on ${device}`)
            : null;
  if (error) {
    c.close(fd);
    return Promise.reject(error);
  }
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    // exclusive: a cluster worker opens the descriptor itself instead of asking the primary.
    socket.bind({ fd, exclusive: true }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function failure(c: Libc, what: string): SocketError {
  const errno = c.errno();
  return new SocketError(`${what}: ${c.strerror(errno)}`, ERRNO_CODES[errno] ?? `errno ${errno}`);
}
