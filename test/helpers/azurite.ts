// Azurite's Table service, started by the tests themselves: in memory, on a free loopback port the
// operating system picks (Azurite's own log would say port 0, so the server reports the port it
// really took). It runs in a child process: restify, which the bot loads, rewrites Node's shared
// http request and response prototypes, and Azurite's express app in the same process then loses
// its query options ($filter, $select). Each test uses fresh tables through a prefix of its own
// rather than a fresh server, which keeps a test's set-up to a few milliseconds.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Azurite's well-known development account (public, documented; it protects nothing). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const START_TIMEOUT_MS = 15_000;

export interface Azurite {
  /** The table endpoint, e.g. http://127.0.0.1:41234/devstoreaccount1. */
  readonly tableEndpoint: string;
  /** A connection string for the development account on this server. */
  readonly connectionString: string;
  close(): Promise<void>;
}

export async function startAzurite(): Promise<Azurite> {
  const child = fork(path.join(__dirname, 'azuriteServer.ts'), [], {
    // The child gets the same loopback-only network guard as the tests.
    execArgv: ['--require', require.resolve('tsx/cjs'), '--require', path.join(__dirname, '..', 'setup.ts')],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within ${START_TIMEOUT_MS} ms. ${stderr}`)), START_TIMEOUT_MS);
    child.once('message', (m: { port?: unknown }) => {
      clearTimeout(timer);
      if (typeof m?.port === 'number' && m.port > 0) resolve(m.port);
      else reject(new Error(`Azurite reported no port (${JSON.stringify(m)}).`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}) before it listened. ${stderr}`));
    });
  });
  // Not waited for by the parent's event loop: a test run that forgets close() still ends.
  child.unref();
  child.channel?.unref();
  const tableEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    tableEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=${tableEndpoint};`,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A table prefix no other test uses, so each test starts with empty tables on a shared server. */
export function uniqueTablePrefix(): string {
  return `t${randomBytes(6).toString('hex')}`;
}
