import { createRequire } from 'node:module';
import { addressFamily, sockaddr } from './sockaddr';

/**
 * The system calls the transfer thread makes, through koffi's prebuilt FFI (a call costs about
 * 30 ns; the system call itself costs far more). Linux only: the constants are Linux's, the same
 * on x86-64 and arm64. Every call answers the kernel's result; errno() says why a call failed.
 */
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLLIN = 1;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_INCOMING_CPU = 49;
const SOL_UDP = 17;
const UDP_SEGMENT = 103;

export const Errno = { EINTR: 4, EAGAIN: 11, ENOBUFS: 105, ECONNREFUSED: 111 } as const;

/** struct epoll_event is packed on x86-64 (12 bytes) and not on arm64 (16). */
const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const EPOLL_DATA_OFFSET = process.arch === 'x64' ? 4 : 8;

export interface Syscalls {
  /** A non-blocking UDP socket bound to localAddress (any port) and connected to the client; on failure the errno, negated. */
  connectedUdpSocket(localAddress: string, address: string, port: number): number;
  send(fd: number, bytes: Uint8Array, length: number): number;
  recv(fd: number, into: Uint8Array): number;
  close(fd: number): number;
  setUdpSegment(fd: number, segmentSize: number): boolean;
  setSendBuffer(fd: number, bytes: number): boolean;
  /** The core that took the socket's last datagram in (SO_INCOMING_CPU): on loopback the sender's; -1 if unknown. */
  incomingCpu(fd: number): number;
  epollCreate(): number;
  /** Watches fd for reading; the event carries the fd back. */
  epollAdd(epfd: number, fd: number): number;
  epollDelete(epfd: number, fd: number): number;
  /** Waits up to timeoutMs (-1: forever) and fills ready with the descriptors that can be read. */
  epollWait(epfd: number, ready: Int32Array, timeoutMs: number): number;
  eventfd(): number;
  /** Adds one to an eventfd: wakes whoever waits on it. */
  signal(fd: number): void;
  /** Resets an eventfd after a wake-up. */
  drain(fd: number): void;
  errno(): number;
  strerror(errno: number): string;
}

type Koffi = {
  load(path: string | null): { func(signature: string): (...args: unknown[]) => number & string };
  errno(): number;
};

let cached: Syscalls | null | undefined;

/** The bindings, or null where they cannot be had (not Linux, no koffi binary). */
export function loadSyscalls(): Syscalls | null {
  if (cached === undefined) {
    try {
      cached = process.platform === 'linux' ? bind(createRequire(import.meta.url)('koffi') as Koffi) : null;
    } catch {
      cached = null;
    }
  }
  return cached;
}

function bind(koffi: Koffi): Syscalls {
  // null: the symbols already in the process (glibc or musl).
  const libc = koffi.load(null);
  const f = (signature: string) => libc.func(signature);
  const socket = f('int socket(int domain, int type, int protocol)');
  const bindSocket = f('int bind(int fd, const void *addr, uint32_t length)');
  const connect = f('int connect(int fd, const void *addr, uint32_t length)');
  const send = f('intptr_t send(int fd, const void *buffer, size_t length, int flags)');
  const recv = f('intptr_t recv(int fd, void *buffer, size_t length, int flags)');
  const close = f('int close(int fd)');
  const setsockopt = f('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)');
  const getsockopt = f('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *length)');
  const epollCreate1 = f('int epoll_create1(int flags)');
  const epollCtl = f('int epoll_ctl(int epfd, int op, int fd, void *event)');
  const epollWait = f('int epoll_wait(int epfd, void *events, int max, int timeout)');
  const eventfd = f('int eventfd(unsigned int initial, int flags)');
  const read = f('intptr_t read(int fd, void *buffer, size_t length)');
  const write = f('intptr_t write(int fd, const void *buffer, size_t length)');
  const strerror = f('const char *strerror(int code)');

  const intOption = (fd: number, level: number, name: number, value: number) => {
    const v = Buffer.alloc(4);
    v.writeInt32LE(value);
    return setsockopt(fd, level, name, v, 4) === 0;
  };
  const one = Buffer.alloc(8);
  one.writeBigUInt64LE(1n);
  const counter = Buffer.alloc(8);
  const optionValue = Buffer.alloc(4);
  const optionLength = [4];
  const noEvent = Buffer.alloc(EPOLL_EVENT_SIZE);
  let events = Buffer.alloc(0);

  return {
    connectedUdpSocket(localAddress, address, port) {
      const fd = socket(addressFamily(address), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) return -koffi.errno();
      const local = sockaddr(localAddress, 0);
      const remote = sockaddr(address, port);
      if (bindSocket(fd, local, local.length) < 0 || connect(fd, remote, remote.length) < 0) {
        const errno = koffi.errno();
        close(fd);
        return -errno;
      }
      return fd;
    },
    send: (fd, bytes, length) => send(fd, bytes, length, 0),
    recv: (fd, into) => recv(fd, into, into.length, 0),
    close: (fd) => close(fd),
    setUdpSegment: (fd, size) => intOption(fd, SOL_UDP, UDP_SEGMENT, size),
    setSendBuffer: (fd, bytes) => intOption(fd, SOL_SOCKET, SO_SNDBUF, bytes),
    incomingCpu(fd) {
      optionLength[0] = 4;
      return getsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, optionValue, optionLength) === 0 ? optionValue.readInt32LE(0) : -1;
    },
    epollCreate: () => epollCreate1(SOCK_CLOEXEC),
    epollAdd(epfd, fd) {
      const event = Buffer.alloc(EPOLL_EVENT_SIZE);
      event.writeUInt32LE(EPOLLIN, 0);
      event.writeInt32LE(fd, EPOLL_DATA_OFFSET);
      return epollCtl(epfd, EPOLL_CTL_ADD, fd, event);
    },
    epollDelete: (epfd, fd) => epollCtl(epfd, EPOLL_CTL_DEL, fd, noEvent),
    epollWait(epfd, ready, timeoutMs) {
      if (events.length < ready.length * EPOLL_EVENT_SIZE) events = Buffer.alloc(ready.length * EPOLL_EVENT_SIZE);
      const n = epollWait(epfd, events, ready.length, timeoutMs);
      for (let i = 0; i < n; i++) ready[i] = events.readInt32LE(i * EPOLL_EVENT_SIZE + EPOLL_DATA_OFFSET);
      return n;
    },
    eventfd: () => eventfd(0, SOCK_NONBLOCK | SOCK_CLOEXEC),
    signal: (fd) => void write(fd, one, 8),
    drain: (fd) => void read(fd, counter, 8),
    errno: () => koffi.errno(),
    strerror: (errno) => String(strerror(errno)),
  };
}
