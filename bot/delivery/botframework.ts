// The production `send` and `update` for delivery: a proactive message, or the replacement of one
// the bot sent, through botbuilder's CloudAdapter.
//
// What botbuilder does with a failed send (botbuilder 4.23, botframework-connector 4.23):
// - The ConnectorClient is an @azure/core-client ServiceClient; a non-2xx answer is thrown as a
//   RestError with `statusCode`, `code` (the body's error.code, e.g. BotNotInConversationRoster),
//   `details` (the parsed body) and a non-enumerable `response` whose `headers.get()` reads
//   Retry-After. A failure before any answer is a RestError with a system `code` and no status.
// - That client's default pipeline RETRIES BY ITSELF: core-rest-pipeline's defaultRetryPolicy (3
//   retries) honours Retry-After on 429/503 and backs off exponentially (1 s .. 64 s) on 408 and
//   5xx except 501/505, and on ECONNRESET/ECONNREFUSED/ETIMEDOUT. Those hidden attempts bypass our
//   rate limiter and multiply with our own retries (one send could become 5 x 4 requests), so this
//   sender removes that policy from each turn's client and delivery owns every retry.
// - An error thrown inside the continueConversationAsync callback goes to `adapter.onTurnError`
//   when one is set, and continueConversationAsync then resolves as if all went well. The send is
//   therefore caught inside the callback and rethrown outside it.
// - Proactive sends reply to a fresh continuation id: botbuilder posts to
//   /v3/conversations/{id}/activities/{uuid} with replyToId set; Teams posts it as a new message.
//
// Without an app id (local runs, tests, the benchmark) the adapter is built with
// `new ConfigurationBotFrameworkAuthentication({})` and sends with appId '': no token is fetched
// and no Authorization header is sent, so a loopback serviceUrl works.
import type { Activity, CloudAdapter, ConversationReference, ResourceResponse, TurnContext } from 'botbuilder';
import type { ConversationRef, OutgoingActivity } from '../core/conversation';
import { toSendError } from './sendError';

export type ActivitySender = (ref: ConversationRef, activity: OutgoingActivity) => Promise<{ id?: string }>;
export type ActivityUpdater = (ref: ConversationRef, activityId: string, activity: OutgoingActivity) => Promise<void>;

/** The bot's reference as botbuilder takes it (the same fields; botbuilder ignores the ones it does not know). */
function referenceFor(ref: ConversationRef): Partial<ConversationReference> {
  return ref as Partial<ConversationReference>;
}

/** The bot's message as a Bot Framework activity. */
function activityFor(activity: OutgoingActivity): Partial<Activity> {
  return { ...activity };
}

export interface BotFrameworkSenderOptions {
  /** Leave botframework-connector's own retry policy in place (not recommended: it bypasses the limiter). */
  keepClientRetries?: boolean;
  /** Called once if the client's retry policy could not be found to remove (a botbuilder upgrade changed it). */
  onRetryPolicyNotFound?: () => void;
  now?: () => number;
}

const CLIENT_RETRY_POLICY = 'defaultRetryPolicy';

interface PipelineLike {
  getOrderedPolicies(): Array<{ name: string }>;
  removePolicy(options: { name: string }): unknown;
}

function pipelineOf(connectorClient: unknown): PipelineLike | undefined {
  const inner = (connectorClient as { client?: { pipeline?: unknown } } | undefined)?.client;
  const pipeline = inner?.pipeline as Partial<PipelineLike> | undefined;
  return pipeline && typeof pipeline.getOrderedPolicies === 'function' && typeof pipeline.removePolicy === 'function'
    ? (pipeline as PipelineLike)
    : undefined;
}

/** Removes the client's own retries; returns false when the pipeline did not look as expected. */
export function removeClientRetries(context: TurnContext, adapter: CloudAdapter): boolean {
  const pipeline = pipelineOf(context.turnState.get(adapter.ConnectorClientKey));
  if (!pipeline) return false;
  if (!pipeline.getOrderedPolicies().some((p) => p.name === CLIENT_RETRY_POLICY)) return false;
  pipeline.removePolicy({ name: CLIENT_RETRY_POLICY });
  return true;
}

/** Runs one request in a proactive turn: one HTTP request (the client's own retries removed), errors as SendError. */
function oneRequestPerCall(adapter: CloudAdapter, appId: string, options: BotFrameworkSenderOptions) {
  const now = options.now ?? (() => Date.now());
  let warned = false;
  return async <T>(ref: ConversationRef, request: (context: TurnContext) => Promise<T>): Promise<T> => {
    let result: T | undefined;
    let failure: unknown;
    let failed = false;
    try {
      await adapter.continueConversationAsync(appId, referenceFor(ref), async (context) => {
        if (!options.keepClientRetries && !removeClientRetries(context, adapter) && !warned) {
          warned = true;
          options.onRetryPolicyNotFound?.();
        }
        try {
          result = await request(context);
        } catch (err) {
          failed = true;
          failure = err;
        }
      });
    } catch (err) {
      // Failures before the request: building the connector client or fetching a token.
      failed = true;
      failure = err;
    }
    if (failed) throw toSendError(failure, now());
    return result as T;
  };
}

/** A `send` for createDelivery: one proactive message per call. */
export function createBotFrameworkSender(adapter: CloudAdapter, appId: string, options: BotFrameworkSenderOptions = {}): ActivitySender {
  const run = oneRequestPerCall(adapter, appId, options);
  return async (ref, activity) => {
    const response: ResourceResponse | undefined = await run(ref, (context) => context.sendActivity(activityFor(activity)));
    return response?.id !== undefined ? { id: response.id } : {};
  };
}

/** An `update` for createDelivery: replaces one activity the bot sent (a PUT, which is idempotent). */
export function createBotFrameworkUpdater(adapter: CloudAdapter, appId: string, options: BotFrameworkSenderOptions = {}): ActivityUpdater {
  const run = oneRequestPerCall(adapter, appId, options);
  return async (ref, activityId, activity) => {
    await run(ref, (context) => context.updateActivity({ ...activityFor(activity), id: activityId }));
  };
}
