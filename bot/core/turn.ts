// What a handler sees of a Teams turn, free of Bot Framework types: the edge (bot/edge/) converts
// botbuilder's TurnContext into these, so moving to a successor SDK touches that one folder.
import type { ConversationRef } from './conversation';

export interface Person {
  /** Channel user id (29:… in Teams). */
  id: string;
  name?: string;
  /** Entra object id: the identity that authorization decisions are made for. */
  aadObjectId?: string;
}

export type ConversationType = 'personal' | 'channel' | 'groupChat';

export interface ConversationInfo {
  id: string;
  type: ConversationType;
  /** The tenant the turn is served for: channelData.tenant.id, else conversation.tenantId. */
  tenantId?: string;
  /**
   * Both places Teams names the tenant, as sent: they must agree, and a turn where they do not is
   * refused as suspicious (the router checks it before anything else).
   */
  tenantSources?: { channelData?: string; conversation?: string };
  teamId?: string;
  channelId?: string;
}

interface TurnBase {
  from: Person;
  conversation: ConversationInfo;
  /** The bot's own channel account id (28:…). */
  botId: string;
  /** Id of this activity. */
  activityId?: string;
  /** Bot Framework activity id for correlation in logs. */
  requestId?: string;
}

export interface MentionEntity {
  type: string;
  mentioned?: { id: string; name?: string };
  text?: string;
}

export interface IncomingMessage extends TurnBase {
  kind: 'message';
  text: string;
  entities: MentionEntity[];
}

export interface IncomingAction extends TurnBase {
  kind: 'action';
  verb: string;
  /** `action.data` as Teams sent it (signed payload merged with any card inputs): untrusted. */
  data: unknown;
  /** Id of the message that carries the card (the invoke's replyToId). */
  cardActivityId?: string;
}

export type Reply = { card: Record<string, unknown> } | { text: string };

/** Result of an Action.Execute: the card that replaces the clicked one (for everyone). */
export interface ActionReply {
  card: Record<string, unknown>;
}

/** The bot being added to or removed from a conversation. */
export interface ConversationEvent {
  kind: 'installed' | 'uninstalled';
  conversation: ConversationInfo;
  reference: ConversationRef;
  from: { id: string; name?: string; aadObjectId?: string };
}

/** What the edge hands every turn to: the bot core (core/router.ts). */
export interface BotCore {
  onMessage(message: IncomingMessage, reference: ConversationRef): Promise<Reply[]>;
  onAction(action: IncomingAction, reference: ConversationRef): Promise<ActionReply>;
  onConversationEvent?(event: ConversationEvent): Promise<Reply[]>;
}
