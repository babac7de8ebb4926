// The bot as a separate process, as it runs in a deployment: the real production entry point,
// configured through the environment, started in its own process group so that SIGKILL reaches
// everything it started, driven over HTTP with Teams-shaped activities and stopped with real
// signals. Durability tests kill it mid-work and start it again on the same DATA_DIR. Every child
// preloads the loopback-only network guard (test/network-guard.cjs), so it can reach nothing but
// the fakes the test starts.
import { spawn, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { SCOPES } from '../../sim/seed';
import type { Simulator } from '../../sim/server';
import { TENANT_ID } from './harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Plain CommonJS, so that the compiled production build (no tsx) preloads it too. */
export const NETWORK_GUARD = path.join(REPO_ROOT, 'test', 'network-guard.cjs');
/** The production entry point run from source (tsx), for tests that do not need the build. */
export const MAIN_FROM_SOURCE = ['--require', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'bot', 'main.ts')];

// A bound, not a wait: start-up takes a second or two, but many times that on a loaded machine.
const START_TIMEOUT_MS = 60_000;

export interface BotProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every JSON log line the process wrote, in order. */
  readonly logs: Json[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** The last 4000 characters it wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves with the first log line the predicate accepts, past or future. */
  logged(predicate: (line: Json) => boolean, what: string, ms?: number): Promise<Json>;
}

/**
 * A deployment's settings against the simulator: its production subscription watched, no credential
 * (the simulator is on loopback), the test tenant allowed, a free port. Tests add what they vary.
 */
export function simulatorSettings(sim: Pick<Simulator, 'url' | 'scopes'>, dataDir: string): Record<string, string> {
  const production = sim.scopes.find((s) => s.id === SCOPES.production)!;
  return {
    PIM_SCOPES: `${production.displayName}=${production.id}`,
    ARM_ENDPOINT: sim.url,
    PIM_CREDENTIAL: 'none',
    PIM_ALLOWED_TENANTS: TENANT_ID,
    PORT: '0',
    DATA_DIR: dataDir,
  };
}

const running = new Set<BotProcess>();

/** Kills every bot process still running (for afterEach). */
export async function stopAllBots(): Promise<void> {
  for (const bot of [...running]) await stopBot(bot, 'SIGKILL').catch(() => undefined);
}

export interface StartBotOptions {
  /** Node arguments after the network guard: the entry point (default MAIN_FROM_SOURCE). */
  args?: string[];
}

/**
 * Starts the bot in its own process group (so a kill reaches everything it started) and resolves
 * once it logs that it listens. Node with a require hook rather than the tsx CLI, so the pid is
 * the bot itself and SIGKILL leaves no orphaned grandchild.
 */
export async function startBot(env: Record<string, string>, cwd: string, options: StartBotOptions = {}): Promise<BotProcess> {
  const args = ['--require', NETWORK_GUARD, ...(options.args ?? MAIN_FROM_SOURCE)];
  const child = spawn(process.execPath, args, {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Nothing from the developer's shell (a PIM_SCOPES or MicrosoftAppId there would change the run).
    env: { PATH: process.env.PATH ?? '', ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}), ...env },
  });
  const logs: Json[] = [];
  const waiters: Array<{ predicate: (line: Json) => boolean; resolve: (line: Json) => void }> = [];
  let text = '';
  let partial = '';
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  child.stdout!.on('data', (b: Buffer) => {
    text += b.toString();
    partial += b.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as Json;
      logs.push(entry);
      for (const w of [...waiters]) {
        if (w.predicate(entry)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(entry);
        }
      }
    }
  });
  child.stderr!.on('data', (b: Buffer) => {
    text += b.toString();
  });

  const output = () => text.slice(-4000);
  const logged = (predicate: (line: Json) => boolean, what: string, ms = START_TIMEOUT_MS): Promise<Json> => {
    const seen = logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The bot did not log ${what} within ${ms} ms:\n${output()}`)), ms);
      const waiter = {
        predicate,
        resolve: (line: Json) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      waiters.push(waiter);
      void exited.then(({ code, signal }) => {
        if (!waiters.includes(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`The bot exited (${code ?? signal}) before logging ${what}:\n${output()}`));
      });
    });
  };

  const bot: BotProcess = { child, url: '', logs, exited, hasExited: () => done, output, logged };
  running.add(bot);
  const listening = await logged((l) => l.msg === 'bot listening', '"bot listening"');
  return Object.assign(bot, { url: String(listening.url ?? '') });
}

export async function stopBot(bot: BotProcess, signal: 'SIGKILL' | 'SIGTERM', ms = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (!bot.hasExited()) {
    try {
      process.kill(-bot.child.pid!, signal);
    } catch {
      // already gone
    }
  }
  const result = await withTimeout(bot.exited, ms, `the bot to exit after ${signal}`);
  running.delete(bot);
  return result;
}

// ---- waiting, with bounds ----

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}.`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor<T>(what: string, ms: number, probe: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A loopback port nothing listens on right now, for a bot that must restart on the same port. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---- Teams over HTTP ----

export async function post(bot: Pick<BotProcess, 'url'>, activity: Json, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(activity) });
  const raw = await res.text();
  return { status: res.status, body: raw ? JSON.parse(raw) : undefined };
}
