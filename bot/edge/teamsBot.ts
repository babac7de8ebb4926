// The Bot Framework activity handler: converts botbuilder's TurnContext into the plain turn types
// of bot/core/turn.ts, hands them to the bot core, and sends back what the core answers. Nothing
// here decides anything; the core is testable without botbuilder.
import { ActivityHandler, type Activity, type InvokeResponse, type TurnContext } from 'botbuilder';
import { ADAPTIVE_CARD_CONTENT_TYPE } from '../../cards';
import { outgoing, type ConversationRef } from '../core/conversation';
import type { BotCore, ConversationEvent, ConversationInfo, ConversationType, IncomingAction, IncomingMessage, MentionEntity } from '../core/turn';
import type { Logger } from '../log';

/**
 * The longest invoke verb passed on (the longest real one has 16 characters). A longer verb is cut
 * here, so it reaches the core only as an unknown verb of this length, which the core refuses and
 * audits as not matching its data; the rest of it goes no further than this file.
 */
export const MAX_VERB_CHARS = 64;

/** Where the turn's conversation is, in the bot's own shape (what botbuilder's getConversationReference takes). */
export function referenceOf(a: Partial<Activity>): ConversationRef {
  const conversation = a.conversation;
  return compact({
    channelId: a.channelId ?? '',
    serviceUrl: a.serviceUrl ?? '',
    conversation: compact({
      id: conversation?.id ?? '',
      conversationType: conversation?.conversationType,
      tenantId: conversation?.tenantId,
      isGroup: conversation?.isGroup,
      name: conversation?.name,
    }),
    bot: a.recipient ? compact({ id: a.recipient.id, name: a.recipient.name }) : undefined,
    user: a.from ? compact({ id: a.from.id, name: a.from.name, aadObjectId: a.from.aadObjectId }) : undefined,
    activityId: a.id,
    locale: a.locale,
  });
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined || o[k] === '') delete o[k];
  return o;
}

function conversationOf(context: TurnContext): ConversationInfo {
  const a = context.activity;
  const cd = (a.channelData ?? {}) as { tenant?: { id?: string }; team?: { id?: string }; channel?: { id?: string } };
  const raw = (a.conversation?.conversationType ?? '').toLowerCase();
  const type: ConversationType = raw === 'channel' ? 'channel' : raw === 'groupchat' ? 'groupChat' : raw === 'personal' ? 'personal' : a.conversation?.isGroup ? 'groupChat' : 'personal';
  const fromChannelData = typeof cd.tenant?.id === 'string' ? cd.tenant.id : undefined;
  const fromConversation = typeof a.conversation?.tenantId === 'string' ? a.conversation.tenantId : undefined;
  return {
    id: a.conversation?.id ?? '',
    type,
    tenantId: fromChannelData ?? fromConversation,
    tenantSources: { channelData: fromChannelData, conversation: fromConversation },
    teamId: cd.team?.id,
    channelId: cd.channel?.id,
  };
}

function base(context: TurnContext) {
  const a = context.activity;
  return {
    from: { id: a.from?.id ?? '', name: a.from?.name, aadObjectId: a.from?.aadObjectId },
    conversation: conversationOf(context),
    botId: a.recipient?.id ?? '',
    activityId: a.id,
    requestId: a.id,
  };
}

export class PimTeamsBot extends ActivityHandler {
  constructor(
    private readonly core: BotCore,
    private readonly logger: Logger,
  ) {
    super();
    this.onMessage(async (context, next) => {
      const a = context.activity;
      const message: IncomingMessage = {
        kind: 'message',
        ...base(context),
        text: typeof a.text === 'string' ? a.text : '',
        entities: Array.isArray(a.entities) ? (a.entities as MentionEntity[]) : [],
      };
      const replies = await this.core.onMessage(message, referenceOf(a));
      for (const r of replies) await context.sendActivity(outgoing(r));
      await next();
    });

    this.onInstallationUpdateAdd(async (context, next) => {
      await this.conversationEvent(context, 'installed');
      await next();
    });
    this.onInstallationUpdateRemove(async (context, next) => {
      await this.conversationEvent(context, 'uninstalled');
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      if (context.activity.membersAdded?.some((m) => m.id === botId)) await this.conversationEvent(context, 'installed');
      await next();
    });
    this.onMembersRemoved(async (context, next) => {
      const botId = context.activity.recipient?.id;
      if (context.activity.membersRemoved?.some((m) => m.id === botId)) await this.conversationEvent(context, 'uninstalled');
      await next();
    });
  }

  private async conversationEvent(context: TurnContext, kind: ConversationEvent['kind']): Promise<void> {
    if (!this.core.onConversationEvent) return;
    const b = base(context);
    const replies = await this.core.onConversationEvent({
      kind,
      conversation: b.conversation,
      from: b.from,
      reference: referenceOf(context.activity),
    });
    if (kind === 'installed') for (const r of replies) await context.sendActivity(outgoing(r));
  }

  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    const a = context.activity;
    if (a.name !== 'adaptiveCard/action') {
      this.logger.debug({ activityId: a.id, invoke: a.name }, 'invoke this bot does not handle');
      return super.onInvokeActivity(context);
    }
    const value = (a.value ?? {}) as { action?: { type?: string; verb?: unknown; data?: unknown } };
    const raw = typeof value.action?.verb === 'string' ? value.action.verb : '';
    const verb = raw.length > MAX_VERB_CHARS ? raw.slice(0, MAX_VERB_CHARS) : raw;
    if (verb !== raw) this.logger.warn({ verbLength: raw.length }, 'an invoke verb longer than any real one was cut at the edge');
    const action: IncomingAction = {
      kind: 'action',
      ...base(context),
      verb,
      data: value.action?.data,
      cardActivityId: a.replyToId,
    };
    const result = await this.core.onAction(action, referenceOf(a));
    return { status: 200, body: { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: result.card } };
  }
}
