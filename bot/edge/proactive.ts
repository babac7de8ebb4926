// Messages the bot sends outside a turn (refresh results, digests): through the stored
// conversation reference and botbuilder's continueConversationAsync, so they go to the same
// Bot Connector service and conversation Teams gave us. Threading is Teams': a reply into a
// channel thread is a message to "<channel conversation>;messageid=<root message id>".
import type { CloudAdapter, ConversationReference, Activity } from 'botbuilder';
import { toActivity } from './teamsBot';
import type { Reply } from '../core/turn';
import type { Logger } from '../log';
import type { StoredConversationReference } from '../store/types';

/** A reference as botbuilder takes it, or as the store keeps it (the same JSON). */
export type AnyReference = Partial<ConversationReference> | StoredConversationReference;

export interface Proactive {
  /** Posts into the thread whose root is `rootId` in a channel, or into the chat elsewhere. */
  replyInThread(reference: AnyReference, rootId: string | undefined, reply: Reply): Promise<string | undefined>;
  /** Replaces a card the bot sent earlier. */
  updateCard(reference: AnyReference, activityId: string, card: Record<string, unknown>): Promise<void>;
}

const MESSAGE_ID = /;messageid=(\d+|[^;]+)$/i;

/** The thread root a channel reply belongs to: the one in the conversation id, else the card's own id. */
export function threadRootOf(conversationId: string, cardActivityId?: string): string | undefined {
  return MESSAGE_ID.exec(conversationId)?.[1] ?? cardActivityId;
}

/** The conversation reference that posts into a channel thread (or the chat itself elsewhere). */
export function threadReference(reference: AnyReference, rootId: string | undefined): Partial<ConversationReference> {
  const ref = reference as Partial<ConversationReference>;
  const conversation = ref.conversation;
  if (!conversation) return ref;
  const isChannel = (conversation.conversationType ?? '').toLowerCase() === 'channel';
  const base = conversation.id.replace(MESSAGE_ID, '');
  const id = isChannel && rootId ? `${base};messageid=${rootId}` : isChannel ? base : conversation.id;
  return { ...ref, conversation: { ...conversation, id } };
}

/** Sends a new message through the rate-limited, retrying delivery (bot/delivery). */
export type Deliver = (reference: StoredConversationReference, activity: Partial<Activity>) => Promise<{ ok: true; activityId?: string } | { ok: false; error: string }>;

/**
 * New messages go through `deliver`, so they share the per-conversation rate limits with digests;
 * card updates go straight through the adapter.
 */
export function createProactive(adapter: CloudAdapter, appId: string, logger: Logger, deliver: Deliver): Proactive {
  const run = async <T>(reference: AnyReference, fn: (ctx: import('botbuilder').TurnContext) => Promise<T>): Promise<T> => {
    let out: T | undefined;
    await adapter.continueConversationAsync(appId, reference as Partial<ConversationReference>, async (ctx) => {
      out = await fn(ctx);
    });
    return out as T;
  };
  return {
    async replyInThread(reference, rootId, reply) {
      const ref = threadReference(reference, rootId) as StoredConversationReference;
      const result = await deliver(ref, toActivity(reply));
      if (!result.ok) throw new Error(`The reply could not be delivered: ${result.error}`);
      return result.activityId;
    },
    async updateCard(reference, activityId, card) {
      const activity = { ...toActivity({ card }), id: activityId, type: 'message' };
      await run(reference, (ctx) => ctx.updateActivity(activity));
      logger.debug({ activityId }, 'card updated');
    },
  };
}
