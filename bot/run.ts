// Running the bot as a process, shared by the production entry point (bot/main.ts) and the local
// run (bot/local.ts): listen, and on SIGTERM or SIGINT stop in order within a bounded time.
import { ConfigError, type Config } from './config';
import { createApp } from './app';
import type { Logger } from './log';
import type { Telemetry } from './telemetry';

/**
 * The whole shutdown gets this long, then the process exits anyway. A platform gives a stopping
 * container a grace period before SIGKILL (30 s by default on Kubernetes and Azure Container
 * Apps): the bot exits on its own terms inside it, and whatever has not finished by then is left
 * to the next process (refresh leases run out, digest runs are resumed).
 */
export const SHUTDOWN_GRACE_MS = 25_000;

/** A configuration error is one line naming the variable, and exit code 2; anything else is rethrown. */
export function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(`Configuration error: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

export interface RunOptions {
  logger: Logger;
  telemetry: Telemetry;
  /** Stopped after the bot, in order (e.g. the local run's simulator). */
  alsoStop?: Array<() => Promise<void>>;
}

export interface RunningBot {
  url: string;
  /** Runs when the process is asked to stop; also called by the signal handlers. */
  shutdown(signal: string): Promise<void>;
  /** Things to stop before the bot (e.g. the Playground, which talks to it). */
  stopFirst(stop: () => Promise<void>): void;
}

export interface ShutdownOptions {
  /** Run in order; one that fails is logged and the next runs. */
  stops: ReadonlyArray<{ name: string; stop: () => Promise<void> }>;
  graceMs: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  exit: (code: number) => void;
}

/**
 * The process's one shutdown: the first call runs the stops in order and exits 0; a shutdown still
 * running after `graceMs` is cut short with a log line and exit code 1. Later calls (a second
 * signal) join the first.
 */
export function createShutdown(options: ShutdownOptions): (signal: string) => Promise<void> {
  const { stops, graceMs, logger, exit } = options;
  let stopping: Promise<void> | undefined;
  return (signal) => {
    stopping ??= new Promise<void>((resolve) => {
      logger.info({ signal, graceMs }, 'shutting down');
      let over = false;
      const deadline = setTimeout(() => {
        over = true;
        logger.error({ signal, graceMs }, 'shutdown did not finish in time; exiting anyway');
        exit(1);
        resolve();
      }, graceMs);
      void (async () => {
        for (const { name, stop } of stops) {
          try {
            await stop();
          } catch (err) {
            logger.warn({ err: { message: (err as Error).message }, stopping: name }, 'error while shutting down');
          }
        }
        clearTimeout(deadline);
        if (over) return;
        logger.info({ signal }, 'stopped');
        exit(0);
        resolve();
      })();
    });
    return stopping;
  };
}

export async function runBot(config: Config, options: RunOptions): Promise<RunningBot> {
  const { logger, telemetry } = options;
  const app = await createApp(config, { logger, telemetry });
  const { url } = await app.listen();
  const stops: Array<{ name: string; stop: () => Promise<void> }> = [
    // Stops taking requests, lets the turns in flight answer, hands refresh leases back, closes the store.
    { name: 'the bot', stop: () => app.close() },
    ...(options.alsoStop ?? []).map((stop) => ({ name: 'a local service', stop })),
    // Last, so that it exports what the shutdown itself recorded.
    { name: 'telemetry', stop: () => telemetry.shutdown() },
  ];
  const shutdown = createShutdown({ stops, graceMs: SHUTDOWN_GRACE_MS, logger, exit: (code) => process.exit(code) });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  return {
    url,
    shutdown,
    stopFirst(stop) {
      stops.unshift({ name: 'a local service', stop });
    },
  };
}
