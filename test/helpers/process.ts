// The bot as a separate process, as it runs in a deployment: the real bot/main.ts, configured
// through the environment, started in its own process group so that SIGKILL reaches everything it
// started, and driven over HTTP with Teams-shaped activities. Durability tests kill it mid-work and
// start it again on the same DATA_DIR.
import { spawn, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'bot', 'main.ts');
// The child gets the same loopback-only network guard as this process.
const NETWORK_GUARD = path.join(ROOT, 'test', 'setup.ts');
const START_TIMEOUT_MS = 30_000;

export interface BotProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every JSON log line the process wrote, in order. */
  readonly logs: Json[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  output(): string;
}

const running = new Set<BotProcess>();

/** Kills every bot process still running (for afterEach). */
export async function stopAllBots(): Promise<void> {
  for (const bot of [...running]) await stopBot(bot, 'SIGKILL').catch(() => undefined);
}

/**
 * Starts `bot/main.ts` in its own process group (so a kill reaches everything it started) and
 * resolves once it logs "bot listening". Node with tsx's require hook rather than the tsx CLI, so
 * the pid is the bot itself and SIGKILL leaves no orphaned grandchild polling on.
 */
export async function startBot(env: Record<string, string>, cwd: string): Promise<BotProcess> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), '--require', NETWORK_GUARD, MAIN], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Nothing from the developer's shell (a PIM_SCOPES or MicrosoftAppId there would change the run).
    env: { PATH: process.env.PATH ?? '', ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}), ...env },
  });
  const logs: Json[] = [];
  let text = '';
  let partial = '';
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  let onListening: ((url: string) => void) | undefined;
  child.stdout!.on('data', (b: Buffer) => {
    text += b.toString();
    partial += b.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as Json;
      logs.push(entry);
      if (entry.msg === 'bot listening') onListening?.(entry.url as string);
    }
  });
  child.stderr!.on('data', (b: Buffer) => {
    text += b.toString();
  });

  const bot: BotProcess = { child, url: '', logs, exited, hasExited: () => done, output: () => text.slice(-4000) };
  running.add(bot);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The bot did not log "bot listening" within ${START_TIMEOUT_MS} ms:\n${text.slice(-4000)}`)), START_TIMEOUT_MS);
    onListening = (u) => {
      clearTimeout(timer);
      resolve(u);
    };
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`The bot exited (${code ?? signal}) before listening:\n${text.slice(-4000)}`));
    });
  });
  return Object.assign(bot, { url });
}

export async function stopBot(bot: BotProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (!bot.hasExited()) {
    try {
      process.kill(-bot.child.pid!, signal);
    } catch {
      // already gone
    }
  }
  const result = await withTimeout(bot.exited, 5000, `the bot to exit after ${signal}`);
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

export async function post(bot: BotProcess, activity: Json): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  const raw = await res.text();
  return { status: res.status, body: raw ? JSON.parse(raw) : undefined };
}
