// Benchmark: how many `help` replies a second the bot serves, against a bare botbuilder echo bot on
// the same restify and botbuilder, measured in the same run. Both answer Teams-shaped 1:1 messages
// (test/fixtures/teams) posted to /api/messages over loopback HTTP with keep-alive, both send their
// reply through a CloudAdapter to the same fake Bot Connector (no rate limits), and both run without
// an app id (no token checks) in this process. The bot is the real composition root (createApp) of
// the local run. Short rounds alternate echo and help; each help round is compared with the echo
// round next to it, so a machine that other work shares slows both alike.
//
//   npm run bench:help        ("bench:help": "tsx bench/help.ts")
//   options: --round-ms N (default 500)  --rounds N (pairs, default 24)  --concurrency N (default 8)
//            --json (also print one RESULT line for bench/all.ts)
// Prints messages per second of each and their ratio (goal: help at least 0.9 of the echo bot).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import restify from 'restify';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication, MessageFactory } from 'botbuilder';
import { createApp } from '../bot/app';
import { loadConfig } from '../bot/config';
import { normalizeScope } from '../bot/azure/validate';
import { silentLogger } from '../bot/log';
import { startSimulator } from '../sim/server';
import { startFakeConnector } from '../test/fakes/connector';
import { personalMessage } from '../test/helpers/harness';
import { HELP_GOAL, option, printResult } from './common';

/** A bare echo bot as the botbuilder samples write it: restify, its body parser, a CloudAdapter, one handler. */
async function startEchoBot(): Promise<{ url: string; close(): Promise<void> }> {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const bot = new ActivityHandler();
  bot.onMessage(async (context, next) => {
    await context.sendActivity(MessageFactory.text(`Echo: ${context.activity.text}`));
    await next();
  });
  const server = restify.createServer({ name: 'echo' });
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Messages answered in `ms` by `concurrency` senders, each posting the next message when the last is answered. */
async function drive(url: string, body: () => string, ms: number, concurrency: number): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  const sender = async (): Promise<void> => {
    while (performance.now() < end) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body() });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return done;
}

export interface HelpResult {
  /** Messages per second over all rounds. */
  helpPerSecond: number;
  echoPerSecond: number;
  /** The median over rounds of help's rate over the echo bot's rate in the round next to it. */
  ratio: number;
  /** The same from this process's CPU time: what a machine that is not shared would serve. */
  cpuRatio: number;
  rounds: number;
  /** Replies the connector got, to show both bots really answered every message. */
  replies: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/**
 * Rounds alternate the two bots (echo, help, help, echo, …) and each help round is compared with
 * the echo round next to it: on a machine other work shares, the load changes from second to
 * second, and neighbouring rounds see about the same. The figure is the median of those ratios.
 */
export async function measureHelp(opts: { roundMs: number; rounds: number; concurrency: number }): Promise<HelpResult> {
  const connector = await startFakeConnector({ perConversation: false, global: false });
  const sim = await startSimulator({ port: 0 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bench-help-'));
  const echo = await startEchoBot();
  const config = loadConfig(
    { PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: dataDir },
    { normalizeScope, localEndpoint: sim.url, localScopes: sim.scopes.map((s) => ({ scope: s.id, displayName: s.displayName })) },
  );
  const app = await createApp(config, { logger: silentLogger() });
  const { url } = await app.listen();
  try {
    const message = (text: string) => () => JSON.stringify(personalMessage({ connector }, text));
    const bots = {
      echo: { url: echo.url, body: message('hello') },
      help: { url: `${url}/api/messages`, body: message('help') },
    };
    // Warm up both (JIT, connection pools, the help card's one rendering).
    for (const b of Object.values(bots)) await drive(b.url, b.body, 1000, opts.concurrency);
    const round = async (name: 'echo' | 'help') => {
      const used = process.cpuUsage();
      const n = await drive(bots[name].url, bots[name].body, opts.roundMs, opts.concurrency);
      const cpu = process.cpuUsage(used);
      return { n, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
    };
    const before = connector.requests.length;
    const totals = { echo: 0, help: 0, echoCpu: 0, helpCpu: 0 };
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      const order = i % 2 === 0 ? (['echo', 'help'] as const) : (['help', 'echo'] as const);
      const r: Record<string, { n: number; cpuSeconds: number }> = {};
      for (const name of order) r[name] = await round(name);
      totals.echo += r.echo!.n;
      totals.help += r.help!.n;
      ratios.push(r.help!.n / r.echo!.n);
      cpuRatios.push(r.help!.n / r.help!.cpuSeconds / (r.echo!.n / r.echo!.cpuSeconds));
    }
    const seconds = (opts.rounds * opts.roundMs) / 1000;
    return {
      helpPerSecond: totals.help / seconds,
      echoPerSecond: totals.echo / seconds,
      ratio: median(ratios),
      cpuRatio: median(cpuRatios),
      rounds: opts.rounds,
      replies: connector.requests.length - before,
    };
  } finally {
    await app.close();
    await echo.close();
    await connector.close();
    await sim.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const r = await measureHelp({ roundMs: option('round-ms', 500), rounds: option('rounds', 24), concurrency: option('concurrency', 8) });
  console.log('help replies against a bare botbuilder echo bot (same restify, botbuilder and fake connector, same run)');
  console.log(`echo bot         ${r.echoPerSecond.toFixed(0)} messages/s`);
  console.log(`help             ${r.helpPerSecond.toFixed(0)} messages/s`);
  console.log(`help / echo      ${r.ratio.toFixed(2)} (median of ${r.rounds} neighbouring rounds; goal at least ${HELP_GOAL})`);
  console.log(`per CPU second   ${r.cpuRatio.toFixed(2)} (the same from this process's CPU time)`);
  printResult('help', r);
  return r.ratio >= HELP_GOAL ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`The benchmark failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(2);
    },
  );
}
