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
  'text',
  '*.text',
];

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
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
