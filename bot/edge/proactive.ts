// Messages the bot sends outside a turn (refresh results, card updates): through the stored
// conversation reference and botbuilder's continueConversationAsync (inside delivery), so they go
// to the same Bot Connector service and conversation Teams gave us. Threading is Teams': a reply
// into a channel thread is a message to "<channel conversation>;messageid=<root message id>".
import { outgoing, type ConversationRef } from '../core/conversation';
import type { DeliverOptions, Delivery, DeliveryResult } from '../delivery';
import type { Reply } from '../core/turn';
import type { Logger } from '../log';

export interface Proactive {
  /** Posts into the thread whose root is `rootId` in a channel, or into the chat elsewhere. */
  replyInThread(reference: ConversationRef, rootId: string | undefined, reply: Reply, options?: DeliverOptions): Promise<DeliveryResult>;
  /** Replaces a card the bot sent earlier. */
  updateCard(reference: ConversationRef, activityId: string, card: Record<string, unknown>, options?: DeliverOptions): Promise<DeliveryResult>;
}

const MESSAGE_ID = /;messageid=(\d+|[^;]+)$/i;

/** The thread root a channel reply belongs to: the one in the conversation id, else the card's own id. */
export function threadRootOf(conversationId: string, cardActivityId?: string): string | undefined {
  return MESSAGE_ID.exec(conversationId)?.[1] ?? cardActivityId;
}

/** The conversation reference that posts into a channel thread (or the chat itself elsewhere). */
export function threadReference(ref: ConversationRef, rootId: string | undefined): ConversationRef {
  const conversation = ref.conversation;
  const isChannel = (conversation.conversationType ?? '').toLowerCase() === 'channel';
  const base = conversation.id.replace(MESSAGE_ID, '');
  const id = isChannel && rootId ? `${base};messageid=${rootId}` : isChannel ? base : conversation.id;
  return { ...ref, conversation: { ...conversation, id } };
}

/**
 * Replies and card updates both go through the rate-limited, retrying delivery (bot/delivery), so
 * they share the per-conversation limits with digests; neither throws: the caller gets a
 * DeliveryResult (with `gone` when the bot or the message is no longer there).
 */
export function createProactive(delivery: Pick<Delivery, 'deliver' | 'update'>, logger: Logger): Proactive {
  return {
    replyInThread(reference, rootId, reply, options) {
      return delivery.deliver(threadReference(reference, rootId), outgoing(reply), options);
    },
    async updateCard(reference, activityId, card, options) {
      const result = await delivery.update(reference, activityId, outgoing({ card }), options);
      if (result.ok) logger.debug({ activityId }, 'card updated');
      return result;
    },
  };
}
