// The production entry point: `npm run start:prod` runs the compiled `node dist/bot/main.js` (the
// container image and App Service do the same). It runs the bot against Azure as configured by the
// environment and needs only production dependencies: no simulator, no Agents Playground, no tsx.
// The local run against the simulator is `npm start` (bot/local.ts).
//
// Telemetry starts before the rest of the bot is loaded, so OpenTelemetry's HTTP instrumentation
// sees every request; the bot's own modules are therefore required only once it has.
import fs from 'node:fs';
import path from 'node:path';
import { CONNECTION_STRING_VARIABLE, startTelemetry } from './telemetry';

/** Reads `.env` in the working directory, when present; variables already set win. */
export function loadDotEnv(): void {
  const file = path.resolve('.env');
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

/** The one line a production start without scopes prints: what to set, and where the local run is. */
export const MISSING_SCOPES =
  'Configuration error: PIM_SCOPES: is not set; list the ARM scopes the bot watches, e.g. PIM_SCOPES=subscriptions/<subscription id> (to try the bot locally against the simulator, run `npm start` instead).';

export async function startProduction(): Promise<void> {
  loadDotEnv();
  const env = process.env;
  if (!env.PIM_SCOPES?.trim()) {
    console.error(MISSING_SCOPES);
    process.exit(2);
  }
  const telemetry = (() => {
    try {
      return startTelemetry(env, { armEndpoint: env.ARM_ENDPOINT });
    } catch (err) {
      console.error(`Configuration error: ${CONNECTION_STRING_VARIABLE}: ${(err as Error).message}`);
      return process.exit(2);
    }
  })();

  /* eslint-disable @typescript-eslint/no-require-imports */
  const { loadConfig } = require('./config') as typeof import('./config');
  const { normalizeScope } = require('./azure/validate') as typeof import('./azure/validate');
  const { createLogger } = require('./log') as typeof import('./log');
  const { runBot, exitOnConfigError } = require('./run') as typeof import('./run');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const config = (() => {
    try {
      return loadConfig(env, { normalizeScope });
    } catch (err) {
      return exitOnConfigError(err);
    }
  })();
  const logger = createLogger({ level: config.logLevel, context: () => telemetry.logContext() });
  const { url } = await runBot(config, { logger, telemetry });
  logger.info({ url, mode: config.mode, scopes: config.scopes.length, telemetry: env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim() ? 'on' : 'off' }, 'bot listening');
}

if (require.main === module) {
  startProduction().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
