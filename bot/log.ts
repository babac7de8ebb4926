// Structured JSON logs. Tokens, secrets and message text never reach the log at the default level:
// the redaction list covers every place they could appear in what we log.
import pino from 'pino';

export type Logger = pino.Logger;

export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.token',
  'config.bot.password',
  'config.actionSecret',
  'config.store.connectionString',
  '*.connectionString',
  'text',
  '*.text',
];

export interface LoggerOptions {
  level?: string;
  destination?: pino.DestinationStream;
  /** Fields merged into every line, e.g. the active trace and span ids (telemetry). */
  context?: () => Record<string, string>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const context = options.context;
  return pino(
    {
      level: options.level ?? 'info',
      ...(context ? { mixin: () => context() } : {}),
      base: { app: 'pim-alerts-teams' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** A logger that drops everything, for tests that do not assert on logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
