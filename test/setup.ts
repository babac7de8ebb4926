// Loaded before every test file (see .mocharc.json). Tests may talk to servers they start on
// loopback and nothing else: a connection to any other host fails loudly, so a test that would
// reach Azure or Teams for real cannot pass by accident.
import net from 'node:net';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/i;

export function isLoopbackHost(host: string | undefined): boolean {
  return host === undefined || host === '' || LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

const originalConnect = net.Socket.prototype.connect;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
(net.Socket.prototype as any).connect = function guardedConnect(this: net.Socket, ...args: any[]) {
  const first = args[0];
  let host: string | undefined;
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    if (typeof first.path === 'string') return originalConnect.apply(this, args as never); // unix socket / pipe
    host = first.host;
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    host = typeof args[1] === 'string' ? args[1] : undefined;
  } else if (typeof first === 'string') {
    return originalConnect.apply(this, args as never); // unix socket path
  }
  if (!isLoopbackHost(host)) {
    const err = new Error(`Test network guard: refused a connection to ${host} (tests may only use loopback)`);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return originalConnect.apply(this, args as never);
};
