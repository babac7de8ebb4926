// The bot core: a turn comes in as plain data, passes a chain of small checks (tenant, parse or
// signature), and reaches exactly one handler — one per command name and one per card verb, both
// typed tables so that a new command or verb does not compile until it has its handler. Every
// failure a person can act on becomes an error card; anything else is logged as a bug and answered
// with an apology and the request id. Every refusal here is audited with its reason code; a
// message's text is never stored, only that a message was refused.
import { buildErrorCard, buildHelpCard, type ActionPayload, type ActionVerb } from '../../cards';
import { isArmError } from '../azure/errors';
import { PimValidationError } from '../azure/errors';
import type { CommandName } from '../commands/catalog';
import { parseCommand, type CommandOf } from '../commands/parser';
import { tenantAllowed } from '../security/authorizer';
import { boundedName } from '../telemetry';
import { cardContextOf, type CoreDeps } from './deps';
import { audit, type Actor } from './audit';
import { BotError } from './errors';
import type { RefusalReason } from '../store/types';
import type { VerifyFailureCode } from '../security/signing';
import { parseActionPayload } from './payload';
import type { ConversationRef } from './conversation';
import type { ActionReply, BotCore, ConversationEvent, ConversationInfo, IncomingAction, IncomingMessage, Reply } from './turn';

export interface MessageTurn {
  message: IncomingMessage;
  reference: ConversationRef;
}

export interface ActionTurn {
  action: IncomingAction;
  reference: ConversationRef;
  /** Card inputs Teams sent with the click (form fields): user input, validated by the handler. */
  inputs: Record<string, unknown>;
  /** The nonce of the signed data, for replay protection. */
  nonce: string;
  /** When the signed data expires (ms since the epoch): its nonce is kept at least this long. */
  expiresAt: number;
}

export type CommandHandlers = { [N in CommandName]: (deps: CoreDeps, cmd: CommandOf<N>, turn: MessageTurn) => Promise<Reply[]> };
export type ActionHandlers = {
  [V in ActionVerb]: (deps: CoreDeps, payload: Extract<ActionPayload, { verb: V }>, turn: ActionTurn) => Promise<ActionReply>;
};

export interface CoreHandlers {
  commands: CommandHandlers;
  actions: ActionHandlers;
  onConversationEvent?: (deps: CoreDeps, event: ConversationEvent) => Promise<Reply[]>;
  /** Called for every message turn before routing (e.g. to remember the conversation). */
  onMessageSeen?: (deps: CoreDeps, turn: MessageTurn) => Promise<void>;
}

function errorCard(deps: CoreDeps, err: unknown, requestId?: string): Record<string, unknown> {
  const ctx = cardContextOf(deps);
  if (err instanceof BotError) {
    return buildErrorCard({ message: err.message, whatToDo: err.hint, title: titleFor(err.code), help: err.code === 'NotSupported' }, ctx);
  }
  if (isArmError(err)) {
    return buildErrorCard(
      { message: err.message, whatToDo: err.status >= 500 || err.status === 429 ? 'Try again in a minute.' : undefined, requestId: err.requestId, code: err.code, title: err.service === 'graph' ? 'Microsoft Graph refused the request' : 'Azure refused the request' },
      ctx,
    );
  }
  if (err instanceof PimValidationError) {
    return buildErrorCard({ message: err.message, whatToDo: 'Check the name or id and try again.', title: 'That is not a valid name or id' }, ctx);
  }
  deps.logger.error({ err: { message: (err as Error)?.message, stack: (err as Error)?.stack }, requestId }, 'unexpected error in a handler');
  return buildErrorCard({ message: 'Something went wrong on my side.', whatToDo: 'Try again; if it keeps happening, give your admin this request id.', requestId }, ctx);
}

/** How a card action that threw ended, for the card-action metric: the error's code, never its text. */
function outcomeOf(err: unknown): string {
  if (err instanceof BotError) return err.code;
  if (isArmError(err)) return 'ArmError';
  if (err instanceof PimValidationError) return 'InvalidId';
  return 'Bug';
}

function titleFor(code: BotError['code']): string {
  switch (code) {
    case 'TenantNotAllowed':
    case 'NotAuthorized':
      return 'Not allowed';
    case 'BadActionData':
      return 'This button cannot be used';
    case 'AlreadyDone':
      return 'Already done';
    case 'InvalidInput':
      return 'Please check what you entered';
    default:
      return 'I could not do that';
  }
}

/** How a tenant id from an activity is shown in an audit sentence: short, whatever was sent. */
function shown(tenantId: string): string {
  return JSON.stringify(tenantId.length > 64 ? `${tenantId.slice(0, 63)}…` : tenantId);
}

/** Why this conversation's tenant may not be served, if it may not. */
function tenantRefusal(deps: CoreDeps, conversation: ConversationInfo): { reason: RefusalReason; detail: string; error: BotError } | undefined {
  const { channelData, conversation: fromConversation } = conversation.tenantSources ?? {};
  if (channelData !== undefined && fromConversation !== undefined && channelData.trim().toLowerCase() !== fromConversation.trim().toLowerCase()) {
    return {
      reason: 'tenantMismatch',
      detail: `The activity named two tenants: channelData.tenant.id ${shown(channelData)} and conversation.tenantId ${shown(fromConversation)}.`,
      error: new BotError('TenantNotAllowed', 'This message names two different tenants, so I did not act on it.', 'If this keeps happening, tell your admin.', 'tenantMismatch'),
    };
  }
  if (!tenantAllowed(conversation.tenantId, deps.config.authz.allowedTenants)) {
    return {
      reason: 'tenantNotAllowed',
      detail: conversation.tenantId ? `The tenant ${shown(conversation.tenantId)} is not in PIM_ALLOWED_TENANTS.` : 'The activity named no tenant.',
      error: new BotError('TenantNotAllowed', 'This bot only serves its own organisation, and your tenant is not one of them.', 'Ask your admin to add your tenant to PIM_ALLOWED_TENANTS if it should be.', 'tenantNotAllowed'),
    };
  }
  return undefined;
}

/** Refuses (and audits) a turn from a tenant this bot does not serve. */
async function checkTenant(deps: CoreDeps, who: Actor & { conversation: ConversationInfo }, action: string): Promise<void> {
  const refusal = tenantRefusal(deps, who.conversation);
  if (!refusal) return;
  await audit(deps, who, { action, result: 'refused', reason: refusal.reason, detail: refusal.detail });
  throw refusal.error;
}

const SIGNATURE_REFUSALS: Readonly<Record<VerifyFailureCode, RefusalReason>> = {
  Unsigned: 'unsigned',
  BadSignature: 'badSignature',
  Expired: 'expired',
  Malformed: 'malformed',
};

export function createBotCore(deps: CoreDeps, handlers: CoreHandlers): BotCore {
  return {
    async onMessage(message, reference) {
      const log = deps.logger.child({ activityId: message.activityId, conversationType: message.conversation.type });
      try {
        // Refused before parsing: the text of a message from outside is neither read nor stored.
        await checkTenant(deps, message, 'message');
        const turn: MessageTurn = { message, reference };
        await handlers.onMessageSeen?.(deps, turn);
        const parsed = parseCommand({ text: message.text, entities: message.entities, botId: message.botId });
        if (!parsed.ok) {
          log.info({ code: parsed.error.code }, 'could not parse a command');
          const ctx = cardContextOf(deps);
          // A mention with nothing after it is a question about what the bot can do.
          if (parsed.error.code === 'Empty') return [{ card: buildHelpCard({}, ctx) }];
          // The parser's message already names the closest command; the card adds a way to the help
          // (of the command whose arguments were wrong, when there is one) instead of the whole list.
          const card = buildErrorCard(
            {
              title: parsed.error.code === 'UnknownCommand' ? "I don't know that command" : 'Please check the command',
              message: parsed.error.message,
              help: true,
              helpTopic: parsed.error.command,
            },
            ctx,
          );
          return [{ card }];
        }
        const command = parsed.command;
        log.info({ command: command.name }, 'command');
        const handler = handlers.commands[command.name] as (d: CoreDeps, c: typeof command, t: MessageTurn) => Promise<Reply[]>;
        return await handler(deps, command, turn);
      } catch (err) {
        return [{ card: errorCard(deps, err, message.activityId) }];
      }
    },

    async onAction(action, reference) {
      const log = deps.logger.child({ activityId: action.activityId, verb: action.verb });
      try {
        const verb = action.verb || 'unknown';
        await checkTenant(deps, action, verb);
        const verified = deps.signer.verify(action.data);
        if (!verified.ok) {
          log.warn({ code: verified.code }, 'refused card action data');
          await audit(deps, action, { action: verb, result: 'refused', reason: SIGNATURE_REFUSALS[verified.code], detail: `Card data refused (${verified.code}).` });
          throw new BotError('BadActionData', verified.message, undefined, SIGNATURE_REFUSALS[verified.code]);
        }
        let payload: ActionPayload;
        try {
          payload = parseActionPayload(action.verb, verified.payload, (scope) => deps.scopes.some((s) => s.scope.toLowerCase() === scope.toLowerCase()));
        } catch (err) {
          const reason: RefusalReason = err instanceof BotError && err.refusal ? err.refusal : err instanceof PimValidationError ? 'invalidId' : 'malformed';
          log.warn({ reason }, 'refused signed card action data');
          await audit(deps, action, { action: verb, result: 'refused', reason, detail: `Signed card data refused: ${(err as Error).message}` });
          throw err;
        }
        const turn: ActionTurn = { action, reference, inputs: verified.inputs, nonce: verified.nonce, expiresAt: verified.expiresAt };
        log.info('card action');
        const handler = handlers.actions[payload.verb] as (d: CoreDeps, p: ActionPayload, t: ActionTurn) => Promise<ActionReply>;
        const reply = await handler(deps, payload, turn);
        deps.telemetry?.cardAction(payload.verb, 'ok');
        return reply;
      } catch (err) {
        deps.telemetry?.cardAction(boundedName(action.verb), outcomeOf(err));
        return { card: errorCard(deps, err, action.activityId) };
      }
    },

    async onConversationEvent(event) {
      if (!handlers.onConversationEvent) return [];
      try {
        const refusal = tenantRefusal(deps, event.conversation);
        if (refusal) {
          await audit(deps, event, { action: event.kind, result: 'refused', reason: refusal.reason, detail: refusal.detail });
          return [];
        }
        return await handlers.onConversationEvent(deps, event);
      } catch (err) {
        deps.logger.error({ err: { message: (err as Error).message } }, 'conversation event failed');
        return [];
      }
    },
  };
}
