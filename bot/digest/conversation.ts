// Which conversation a digest belongs to, and the reference it is posted through. In a channel,
// Teams gives a message in a thread the id "19:…@thread.tacv2;messageid=123"; a digest belongs to
// the channel and must start a new thread, so subscriptions and stored references use the channel's
// id without the suffix, and the reference keeps nothing of the message it was taken from.
import type { ConversationRef } from '../core/conversation';
import type { StoredConversationReference } from '../store/types';

const MESSAGE_ID_SUFFIX = /;messageid=[^;]*$/i;

/** The conversation id without a channel thread's `;messageid=…` suffix. */
export function baseConversationId(id: string): string {
  return id.replace(MESSAGE_ID_SUFFIX, '');
}

/** Two conversation ids name the same conversation (threads of a channel are the channel). */
export function sameConversation(a: string, b: string): boolean {
  return baseConversationId(a) === baseConversationId(b);
}

/**
 * The reference to store for proactive digests: the conversation itself (no thread, no activity to
 * reply to, no particular user), plus the team it belongs to so that removing the bot from a team
 * can find its channels. Undefined when the reference lacks what a proactive send needs.
 */
export function storedReferenceOf(reference: ConversationRef, teamId?: string): StoredConversationReference | undefined {
  const conversation = reference.conversation;
  if (!conversation?.id || !reference.serviceUrl || !reference.channelId) return undefined;
  const stored: StoredConversationReference = {
    channelId: reference.channelId,
    serviceUrl: reference.serviceUrl,
    conversation: {
      id: baseConversationId(conversation.id),
      ...(conversation.conversationType ? { conversationType: conversation.conversationType } : {}),
      ...(conversation.tenantId ? { tenantId: conversation.tenantId } : {}),
      ...(conversation.isGroup !== undefined ? { isGroup: conversation.isGroup } : {}),
      ...(conversation.name ? { name: conversation.name } : {}),
    },
  };
  if (reference.bot) stored.bot = { id: reference.bot.id, ...(reference.bot.name ? { name: reference.bot.name } : {}) };
  if (reference.locale) stored.locale = reference.locale;
  if (teamId) stored.teamId = teamId;
  return stored;
}
