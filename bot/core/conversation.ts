// The bot's own words for where it posts and what it posts, so that only the edge (bot/edge/) and
// the botbuilder sender (bot/delivery/botframework.ts) know Bot Framework's types. The edge turns
// an incoming activity into a ConversationRef; the sender turns a ConversationRef and an
// OutgoingActivity back into botbuilder's, one request at a time.
import { ADAPTIVE_CARD_CONTENT_TYPE } from '../../cards';

/**
 * Where the bot can post into a conversation: what a Bot Framework conversation reference says,
 * in this shape (plain JSON, stored as is by the store for digests and rescans).
 */
export interface ConversationRef {
  /** `msteams`. */
  channelId: string;
  /** The Bot Connector service of the conversation's region, e.g. https://smba.trafficmanager.net/emea/. */
  serviceUrl: string;
  conversation: {
    /** 19:…@thread.tacv2 (a channel; `;messageid=…` for one of its threads), 19:…@thread.v2, a:… */
    id: string;
    /** personal, groupChat or channel. */
    conversationType?: string;
    tenantId?: string;
    isGroup?: boolean;
    name?: string;
  };
  /** The bot's own channel account (28:…). */
  bot?: { id: string; name?: string };
  /** The person of the turn the reference was taken from; a stored digest reference has none. */
  user?: { id: string; name?: string; aadObjectId?: string };
  /** The activity the reference was taken from; a stored digest reference has none. */
  activityId?: string;
  locale?: string;
  /** The team a channel belongs to, so that removing the bot from a team finds its channels. */
  teamId?: string;
}

/** A message the bot sends: text or Adaptive Cards (the only things it ever posts). */
export interface OutgoingActivity {
  type: 'message';
  text?: string;
  attachments?: Array<{ contentType: string; content: Record<string, unknown> }>;
  /** What a notification shows for a card. */
  summary?: string;
}

/** A reply as an activity: a card, or plain text. */
export function outgoing(reply: { card: Record<string, unknown> } | { text: string }): OutgoingActivity {
  if ('card' in reply) return { type: 'message', attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: reply.card }] };
  return { type: 'message', text: reply.text };
}
