// The local product as a user starts it (`npm start` = tsx bot/local.ts), in its own process group
// so the test can stop it together with everything it spawned (tsx's node, the Agents Playground).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface Product {
  /** The URL the product printed on its "Open http://localhost:<port>" line. */
  playgroundUrl: string;
  /** Everything the product printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM to the whole process group, SIGKILL after the grace period; rejects if anything survives. */
  stop(graceMs?: number): Promise<void>;
}

export interface ProductOptions {
  dataDir: string;
  botPort: number;
  playgroundPort: number;
  startTimeoutMs: number;
}

/** A port free on this machine right now (the OS picks it; the listener is closed again). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startProduct(opts: ProductOptions): Promise<Product> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // A developer's .env never overrides a variable that is already set (even to ''), so an empty
  // PIM_SCOPES keeps this a local run against the simulator whatever .env says.
  env.PIM_SCOPES = '';
  env.PLAYGROUND = 'true';
  env.PORT = String(opts.botPort);
  env.DATA_DIR = opts.dataDir;
  env.PLAYGROUND_PORT = String(opts.playgroundPort);
  env.LOG_LEVEL = 'warn';

  const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['bot/local.ts'], {
    cwd: REPO_ROOT,
    env,
    detached: true, // its own process group: one signal reaches tsx, the bot and the Playground
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const pgid = child.pid!;
  // Being detached, the product would outlive a test run that is cut short: kill it on the way out.
  // SIGTERM and SIGHUP end Node without an 'exit' event, so they are caught, then raised again.
  const killOnExit = () => signalGroup(pgid, 'SIGKILL');
  const onSignal = (signal: NodeJS.Signals) => {
    killOnExit();
    forget();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const forget = () => {
    process.off('exit', killOnExit);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  };
  process.on('exit', killOnExit);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const stop = async (graceMs = 5000) => {
    forget();
    if (!groupAlive(pgid)) return;
    signalGroup(pgid, 'SIGTERM');
    if (await waitUntil(() => !groupAlive(pgid), graceMs)) return;
    signalGroup(pgid, 'SIGKILL');
    if (!(await waitUntil(() => !groupAlive(pgid), 2000))) {
      throw new Error(`Processes of the product (process group ${pgid}) survived SIGKILL; stop them by hand: kill -9 -- -${pgid}`);
    }
  };

  try {
    const playgroundUrl = await waitForOpenLine(child, () => out, opts.startTimeoutMs);
    return { playgroundUrl, output: () => out, stop };
  } catch (err) {
    await stop(2000);
    throw err;
  }
}

function waitForOpenLine(child: ChildProcess, output: () => string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer);
      clearInterval(poll);
      child.off('exit', onExit);
      fn();
    };
    const check = () => {
      const m = /Open (http:\/\/localhost:\d+)/.exec(output());
      if (m) done(() => resolve(m[1]!));
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(() => reject(new Error(`The product exited (${signal ?? `code ${code}`}) before printing its URL:\n${output()}`)));
    const timer = setTimeout(
      () => done(() => reject(new Error(`The product did not print "Open http://localhost:<port>" within ${timeoutMs} ms:\n${output()}`))),
      timeoutMs,
    );
    const poll = setInterval(check, 100);
    child.on('exit', onExit);
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Whether any live process is left in the group. On Linux, /proc tells zombies apart: an orphan
 * whose parent (a container's init, say) never reaps it is dead but still answers kill(0).
 */
function groupAlive(pgid: number): boolean {
  if (fs.existsSync('/proc/self/stat')) {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // exited while we looked
      }
      // "pid (comm) state ppid pgrp …" — comm may contain spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

/**
 * The local addresses listening on a TCP port, from /proc/net/tcp and tcp6 ("127.0.0.1", "::",
 * "0.0.0.0", …); undefined where /proc is not there to read.
 */
export function listeningAddresses(port: number): string[] | undefined {
  if (!fs.existsSync('/proc/net/tcp')) return undefined;
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A: LISTEN
      const [hexAddress, hexPort] = local.split(':');
      if (parseInt(hexPort!, 16) !== port) continue;
      found.push(hexAddress!.length === 8 ? ipv4(hexAddress!) : ipv6(hexAddress!));
    }
  }
  return found;
}

/** /proc writes an IPv4 address as one little-endian 32-bit word. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** /proc writes an IPv6 address as four little-endian 32-bit words. */
function ipv6(hex: string): string {
  const words = [0, 8, 16, 24].map((i) => hex.slice(i, i + 8).match(/../g)!.reverse().join(''));
  const groups = words.join('').match(/..../g)!.map((g) => parseInt(g, 16).toString(16));
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  return text;
}
