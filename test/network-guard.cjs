// The loopback-only network guard: tests may talk to servers they start on loopback and nothing
// else. A connection to any other host, and a DNS lookup of any name but localhost, fails loudly,
// so a test that would reach Azure or Teams for real (or leak a name to a DNS server) cannot pass
// by accident.
//
// Plain CommonJS with no dependencies, so that every process a test starts can preload it with
// `node --require test/network-guard.cjs`, including the compiled production build (plain node,
// no tsx). Mocha loads it through test/setup.ts.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const dns = require('node:dns');

/** A test that must see every refusal (a library may swallow the error) names a file here. */
const REFUSALS_LOG = process.env.NETWORK_GUARD_LOG;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/i;

/** @param {string | undefined} host */
function isLoopbackHost(host) {
  return host === undefined || host === '' || LOOPBACK.test(String(host).replace(/^\[|\]$/g, ''));
}

function refusal(what, host) {
  if (REFUSALS_LOG) fs.appendFileSync(REFUSALS_LOG, `${what} ${host}\n`);
  const err = new Error(`Test network guard: refused ${what} ${host} (tests may only use loopback)`);
  err.code = 'ENETUNREACH';
  return err;
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  // net.connect() and http's agents call socket.connect() with their normalized arguments: one
  // array [options, callback]. Looking only at a plain options object would let all of them through.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  let host;
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    if (typeof first.path === 'string') return originalConnect.apply(this, args); // unix socket / pipe
    host = first.host;
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    host = typeof args[1] === 'string' ? args[1] : undefined;
  } else if (typeof first === 'string') {
    return originalConnect.apply(this, args); // unix socket path
  }
  if (!isLoopbackHost(host)) {
    const err = refusal('a connection to', host);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return originalConnect.apply(this, args);
};

// Name lookups: net.connect resolves a host name through dns.lookup before the guard above sees
// an address, and a lookup alone already sends the name to a DNS server. Only loopback names and
// literal loopback addresses are answered; everything else fails as an unreachable network would.
function guardCallback(original, what) {
  return function guarded(hostname, ...rest) {
    if (isLoopbackHost(hostname)) return original.call(this, hostname, ...rest);
    const callback = rest[rest.length - 1];
    const err = refusal(what, hostname);
    if (typeof callback === 'function') process.nextTick(() => callback(err));
    else throw err;
    return undefined;
  };
}

function guardPromise(original, what) {
  return function guarded(hostname, ...rest) {
    if (isLoopbackHost(hostname)) return original.call(this, hostname, ...rest);
    return Promise.reject(refusal(what, hostname));
  };
}

const RESOLVERS = ['resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCaa', 'resolveCname', 'resolveMx', 'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'reverse'];

dns.lookup = guardCallback(dns.lookup, 'a DNS lookup of');
dns.promises.lookup = guardPromise(dns.promises.lookup, 'a DNS lookup of');
for (const name of RESOLVERS) {
  if (typeof dns[name] === 'function') dns[name] = guardCallback(dns[name], 'a DNS query for');
  if (typeof dns.promises[name] === 'function') dns.promises[name] = guardPromise(dns.promises[name], 'a DNS query for');
  if (typeof dns.Resolver.prototype[name] === 'function') dns.Resolver.prototype[name] = guardCallback(dns.Resolver.prototype[name], 'a DNS query for');
  if (typeof dns.promises.Resolver.prototype[name] === 'function') {
    dns.promises.Resolver.prototype[name] = guardPromise(dns.promises.Resolver.prototype[name], 'a DNS query for');
  }
}

module.exports = { isLoopbackHost };
