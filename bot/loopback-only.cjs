// Preloaded (node --require) into the Agents Playground that the local run starts. Its CLI has no
// host option and listens on every interface, which would let anyone on the network chat with the
// unauthenticated local bot as a seeded Owner. This makes every listen() that names no host (or
// path, handle or file descriptor) listen on 127.0.0.1 instead; a listen that names its host is
// left alone. Plain CommonJS, so it loads before anything else in a plain node process.
'use strict';
const net = require('node:net');

const LOOPBACK = '127.0.0.1';
const original = net.Server.prototype.listen;

/** listen(port?, host?, backlog?, callback?) and listen(options, callback?) without a host get one. */
function withLoopback(args) {
  const first = args[0];
  if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
    const o = first;
    if (o.host !== undefined || o.path !== undefined || o.handle !== undefined || o.fd !== undefined || o._handle !== undefined) return args;
    return [{ ...o, host: LOOPBACK }, ...args.slice(1)];
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return args; // a pipe or socket path
  if (first === undefined || typeof first === 'function') return [0, LOOPBACK, ...args.filter((a) => a !== undefined)];
  if (typeof args[1] === 'string') return args;
  return [first, LOOPBACK, ...args.slice(1)];
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  return original.apply(this, withLoopback(args));
};
