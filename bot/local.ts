// `npm start`. With Azure configuration (PIM_SCOPES and a credential) it runs the bot for real,
// exactly as the production entry point does (bot/main.ts). Without it, it runs the whole product
// on this machine: the PIM alerts simulator as the ARM endpoint, the bot on loopback, and the
// Microsoft 365 Agents Playground (Teams channel) pointed at the bot, and prints the one URL to
// open. This file needs the development dependencies (tsx, the Playground) and the simulator, so
// it is not part of the production build.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { isLocalRun, loadConfig, type Config } from './config';
import { normalizeScope } from './azure/validate';
import { createLogger } from './log';
import { loadDotEnv, startProduction } from './main';
import { exitOnConfigError, runBot } from './run';
import { noTelemetry } from './telemetry';
import { startSimulator } from '../sim/server';
import { simulatorOptionsFromEnv } from '../sim/main';
import { freshSeed } from '../sim/seed';

const DEFAULT_PLAYGROUND_PORT = 56150;
/** Preloaded into the Agents Playground so that it listens on 127.0.0.1 only (see the file). */
const LOOPBACK_ONLY = path.join(__dirname, 'loopback-only.cjs');

async function main(): Promise<void> {
  loadDotEnv();
  const env = process.env;
  if (!isLocalRun(env)) return startProduction();
  // Checked before anything starts, so a bad value stops start-up with one line.
  const playgroundPort = playgroundPortFrom(env);

  // Dates as if the newest scan happened two hours ago, so the local run looks like a live tenant.
  const sim = await startSimulator({ ...simulatorOptionsFromEnv({ ...env, SIM_PORT: env.SIM_PORT ?? '0' }), seed: freshSeed(new Date()) });
  let config: Config;
  try {
    config = loadConfig(
      { ...env, PIM_AUTHZ: env.PIM_AUTHZ ?? 'rbac' },
      { normalizeScope, localEndpoint: sim.url, localScopes: sim.scopes.map((s) => ({ scope: s.id, displayName: s.displayName })) },
    );
  } catch (err) {
    exitOnConfigError(err);
  }

  const logger = createLogger({ level: config.logLevel });
  const bot = await runBot(config, { logger, telemetry: noTelemetry, alsoStop: [() => sim.close()] });
  const { url } = bot;

  if (env.PLAYGROUND !== 'false') {
    const playground = startPlayground(`${url}/api/messages`, config.dataDir, playgroundPort);
    bot.stopFirst(async () => {
      playground.child.kill('SIGTERM');
    });
    // The URL is printed only once the Playground listens, and with the port it really took: it
    // silently picks a random one when the requested port is in use.
    const port = await playground.listening.catch(() => undefined);
    if (port === undefined) return; // its exit handler has said why
    console.log(`\nPIM Alerts for Teams is running locally against the simulator (${config.scopes.length} scopes).`);
    if (port !== playgroundPort) console.log(`Port ${playgroundPort} was in use, so the Agents Playground took port ${port}.`);
    console.log(`Open http://localhost:${port} and type: alerts`);
    console.log('The Playground and the bot listen on this machine only (127.0.0.1).\n');
  } else {
    logger.info({ url, mode: config.mode, scopes: config.scopes.length }, 'bot listening');
  }
}

// PLAYGROUND_PORT lets a second local run (or the browser end-to-end test) avoid a port in use.
function playgroundPortFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.PLAYGROUND_PORT?.trim();
  if (!raw) return DEFAULT_PLAYGROUND_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`Configuration error: PLAYGROUND_PORT must be a port number between 1 and 65535; got "${raw}".`);
    process.exit(2);
  }
  return port;
}

interface Playground {
  child: ChildProcess;
  /** The port the Playground listens on; rejects if it exits first. */
  listening: Promise<number>;
}

function startPlayground(endpoint: string, dataDir: string, port: number): Playground {
  // The Playground writes its log under its working directory: keep it with the bot's data.
  fs.mkdirSync(dataDir, { recursive: true });
  const cli = require.resolve('@microsoft/m365agentsplayground/cli.js');
  const child = spawn(
    process.execPath,
    // Its CLI has no host option and would listen on every interface: the preload keeps it on loopback.
    ['--require', LOOPBACK_ONLY, cli, 'start', '-e', endpoint, '-c', 'msteams', '-p', String(port), '--disable-telemetry'],
    {
      cwd: dataDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BROWSER: 'none', M365_AGENTS_PLAYGROUND_CONFIG_PATH: path.resolve(__dirname, '..', 'sim', 'playground.yml') },
    },
  );
  // The Playground is chatty; keep its output out of the way unless it fails.
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const listening = new Promise<number>((resolve, reject) => {
    // It prints "Listening on <port>" from its server's listen callback, i.e. once it accepts connections.
    const onData = () => {
      const m = /Listening on (\d+)/.exec(tail);
      if (m) {
        child.stdout?.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.on('exit', (code, signal) => reject(new Error(`The Agents Playground exited (${signal ?? code}) before it listened.`)));
  });
  child.on('exit', (code) => {
    if (code) console.error(`The Agents Playground exited with code ${code}:\n${tail}`);
  });
  return { child, listening };
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
