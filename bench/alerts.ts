// Benchmark: `alerts` over 50 subscriptions when every ARM answer takes 100 ms. The bot is the real
// composition root (createApp) reading the simulator through the real ARM client and the read
// policy (bot/core/reader.ts), answering Teams-shaped 1:1 messages over loopback HTTP and replying
// through its CloudAdapter to a fake Bot Connector. The simulator runs in a process of its own, as
// ARM is remote: its work of answering 50 lists is not counted as the bot's. The read cache is off
// (PIM_READ_CACHE_SECONDS=0), so every `alerts` reads all 50 scopes; what is measured is the time
// from the message to its answered POST (the reply has reached the connector by then), against one
// ARM list call through the same client.
//
//   npm run bench:alerts        ("bench:alerts": "tsx bench/alerts.ts")
//   options: --scopes N (default 50)  --arm-latency-ms N (default 100)  --rounds N (default 30)
//            --json (also print one RESULT line for bench/all.ts)
// Prints the median and p95 and their ratio to one call. Exit 0 when the median is within
// ALERTS_GOAL_MS, 1 when not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { createApp } from '../bot/app';
import { createAzureClients, readArmConfig } from '../bot/azure';
import { loadConfig } from '../bot/config';
import { normalizeScope } from '../bot/azure/validate';
import { silentLogger } from '../bot/log';
import { startSimulator } from '../sim/server';
import { defaultSeed } from '../sim/seed';
import type { SeedData } from '../sim/model';
import { startFakeConnector } from '../test/fakes/connector';
import { personalMessage } from '../test/helpers/harness';
import { ALERTS_GOAL_MS, option, printResult } from './common';

const LIST_ALERTS = /\/providers\/Microsoft\.Authorization\/roleManagementAlerts\?/i;

/** The example subscription of the default seed, `count` times under other subscription ids; no directory. */
function manySubscriptions(count: number): SeedData {
  const seed = defaultSeed();
  const template = seed.scopes[0]!;
  const scopes = Array.from({ length: count }, (_, i) => ({
    ...structuredClone(template),
    id: `subscriptions/00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    displayName: `Subscription ${String(i + 1).padStart(2, '0')}`,
  }));
  return { ...seed, scopes, directory: undefined };
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

export interface AlertsResult {
  scopes: number;
  armLatencyMs: number;
  medianMs: number;
  p95Ms: number;
  /** One ARM list call through the same client, median. */
  oneCallMs: number;
  /** median / one call. */
  ratio: number;
  /** ARM list calls per `alerts`, to show every scope was read every time. */
  listCallsPerAlerts: number;
}

const SIM_CHILD = '--sim-child';

/** In the simulator's own process: serve the scopes, say where, and say each list call on stdout. */
async function serveSimulator(scopes: number, latencyMs: number): Promise<void> {
  const sim = await startSimulator({
    port: 0,
    seed: manySubscriptions(scopes),
    faults: { latencyMs },
    onRequest: (r) => {
      if (r.method === 'GET' && LIST_ALERTS.test(r.url)) process.stdout.write('LIST\n');
    },
  });
  process.stdout.write(`SIM ${sim.url} ${JSON.stringify(sim.scopes.map((s) => ({ scope: s.id, displayName: s.displayName })))}\n`);
  process.once('SIGTERM', () => void sim.close().then(() => process.exit(0)));
}

/** The simulator in a child process; resolves once it listens. */
async function startRemoteSimulator(scopes: number, latencyMs: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, SIM_CHILD, '--scopes', String(scopes), '--arm-latency-ms', String(latencyMs)], {
    cwd: path.join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let lists = 0;
  const lines = readline.createInterface({ input: child.stdout! });
  const ready = new Promise<{ url: string; scopes: Array<{ scope: string; displayName: string }> }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`The simulator exited (${code}) before it listened.`)));
    lines.on('line', (line) => {
      if (line === 'LIST') lists++;
      else if (line.startsWith('SIM ')) {
        const [, url, json] = /^SIM (\S+) (.*)$/.exec(line)!;
        resolve({ url: url!, scopes: JSON.parse(json!) });
      }
    });
  });
  const { url, scopes: served } = await ready;
  return {
    url,
    scopes: served,
    lists: () => lists,
    close: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

export async function measureAlerts(opts: { scopes: number; armLatencyMs: number; rounds: number }): Promise<AlertsResult> {
  const connector = await startFakeConnector({ perConversation: false, global: false });
  const sim = await startRemoteSimulator(opts.scopes, opts.armLatencyMs);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bench-alerts-'));
  const config = loadConfig(
    { PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dataDir, PIM_READ_CACHE_SECONDS: '0' },
    { normalizeScope, localEndpoint: sim.url, localScopes: sim.scopes },
  );
  const app = await createApp(config, { logger: silentLogger() });
  const { url } = await app.listen();
  const arm = createAzureClients(readArmConfig({ ARM_ENDPOINT: sim.url, PIM_CREDENTIAL: 'none' }));
  try {
    const ask = async (): Promise<number> => {
      const t = performance.now();
      const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(personalMessage({ connector }, 'alerts')) });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`The bot answered ${res.status}.`);
      return performance.now() - t;
    };
    const oneCall = async (): Promise<number> => {
      const t = performance.now();
      await arm.alerts.listAlerts(sim.scopes[0]!.scope);
      return performance.now() - t;
    };
    for (let i = 0; i < 3; i++) {
      await ask();
      await oneCall();
    }
    const listsBefore = sim.lists();
    const times: number[] = [];
    const singles: number[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      times.push(await ask());
      singles.push(await oneCall());
    }
    const lists = sim.lists() - listsBefore;
    const medianMs = percentile(times, 0.5);
    const oneCallMs = percentile(singles, 0.5);
    return {
      scopes: opts.scopes,
      armLatencyMs: opts.armLatencyMs,
      medianMs,
      p95Ms: percentile(times, 0.95),
      oneCallMs,
      ratio: medianMs / oneCallMs,
      listCallsPerAlerts: (lists - opts.rounds) / opts.rounds,
    };
  } finally {
    await app.close();
    await connector.close();
    await sim.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const r = await measureAlerts({ scopes: option('scopes', 50), armLatencyMs: option('arm-latency-ms', 100), rounds: option('rounds', 30) });
  console.log(`alerts over ${r.scopes} subscriptions, every ARM answer ${r.armLatencyMs} ms late (read cache off: every scope read every time)`);
  console.log(`one ARM list call      ${r.oneCallMs.toFixed(0)} ms (median)`);
  console.log(`alerts                 median ${r.medianMs.toFixed(0)} ms, p95 ${r.p95Ms.toFixed(0)} ms`);
  console.log(`median / one call      ${r.ratio.toFixed(2)} (goal: median at most ${ALERTS_GOAL_MS} ms)`);
  console.log(`ARM reads per alerts   ${r.listCallsPerAlerts.toFixed(1)}`);
  printResult('alerts', r);
  return r.medianMs <= ALERTS_GOAL_MS ? 0 : 1;
}

if (require.main === module && process.argv.includes(SIM_CHILD)) {
  serveSimulator(option('scopes', 50), option('arm-latency-ms', 100)).catch((err: unknown) => {
    console.error(`The simulator could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
} else if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`The benchmark failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(2);
    },
  );
}
