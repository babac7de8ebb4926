// What the bot tells operators about itself, behind one narrow interface: handlers, the scheduler
// and the refresh tracker record what happened in the bot's own words (a card action and its
// result, a refusal and its reason, a digest sent) without knowing OpenTelemetry. The composition
// root gets a Telemetry from startTelemetry: a no-op without APPLICATIONINSIGHTS_CONNECTION_STRING,
// Azure Monitor (OpenTelemetry) with it. Without the variable no telemetry package is even loaded.
// The verbs only, not the cards barrel: main.ts starts telemetry before the rest of the bot loads.
import { ACTION_VERBS } from '../../cards/actions';

export interface Telemetry {
  /** Names the request of the current HTTP turn after the activity it carries (type, invoke name: untrusted). */
  activity(activity: { type: string; name?: unknown }): void;
  /** A card button click, by verb, and how it ended (`ok`, or the error code of the card shown). */
  cardAction(verb: string, result: string): void;
  /** A refused attempt, as audited (bot/core/audit.ts): the action and the reason code. */
  refusal(action: string, reason: string): void;
  /** A scheduled digest, delivered or not. */
  digest(outcome: 'sent' | 'failed'): void;
  /** A refresh's outcome, once it is known (once per refresh), and how long the scan took. */
  refreshOutcome(outcome: string, durationMs: number): void;
  /** This process started (+1) or stopped (-1) tracking a pending refresh. */
  pendingOperations(delta: 1 | -1): void;
  /** Trace and span ids of the active span, for log lines (empty when there is none). */
  logContext(): Record<string, string>;
  /** Flushes what was recorded; called last on shutdown. */
  shutdown(): Promise<void>;
}

export const noTelemetry: Telemetry = {
  activity() {},
  cardAction() {},
  refusal() {},
  digest() {},
  refreshOutcome() {},
  pendingOperations() {},
  logContext: () => ({}),
  shutdown: async () => {},
};

type Env = Record<string, string | undefined>;

/** The variable that turns telemetry on: the Application Insights resource's connection string. */
export const CONNECTION_STRING_VARIABLE = 'APPLICATIONINSIGHTS_CONNECTION_STRING';

export interface TelemetryOptions {
  /** ARM origin, so its 429/5xx answers are counted as ARM's (default https://management.azure.com). */
  armEndpoint?: string;
}

/**
 * Starts telemetry when the connection string is set. Call it before the rest of the bot is
 * loaded: OpenTelemetry's HTTP instrumentation patches `http`/`https` as they are first used.
 * A connection string Azure Monitor cannot read throws; the entry point reports it as one line.
 */
export function startTelemetry(env: Env, options: TelemetryOptions = {}): Telemetry {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return noTelemetry;
  // Loaded here and only here, so a bot without the variable never loads OpenTelemetry.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startAzureMonitor } = require('./azureMonitor') as typeof import('./azureMonitor');
  return startAzureMonitor({ connectionString, armEndpoint: options.armEndpoint?.trim() || 'https://management.azure.com' });
}

/**
 * A metric dimension from text that may come from a stranger (an invoke's verb, an audit action):
 * a known name passes, anything else is `other`, so nobody can flood the metrics with new values.
 */
export function boundedName(name: string | undefined, known: readonly string[] = ACTION_VERBS): string {
  if (!name) return 'none';
  return known.includes(name) ? name : 'other';
}
