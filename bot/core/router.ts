// The bot core: a turn comes in as plain data, passes a chain of small checks (tenant, parse or
// signature), and reaches exactly one handler — one per command name and one per card verb, both
// typed tables so that a new command or verb does not compile until it has its handler. Every
// failure a person can act on becomes an error card; anything else is logged as a bug and answered
// with an apology and the request id.
import type { ConversationReference } from 'botbuilder';
import { buildErrorCard, buildHelpCard, type ActionPayload, type ActionVerb } from '../../cards';
import { isArmError } from '../azure/errors';
import { PimValidationError } from '../azure/errors';
import type { CommandName } from '../commands/catalog';
import { parseCommand, type CommandOf } from '../commands/parser';
import { tenantAllowed } from '../security/authorizer';
import type { BotCore, ConversationEvent } from '../edge/teamsBot';
import { cardContextOf, type CoreDeps } from './deps';
import { BotError } from './errors';
import { parseActionPayload } from './payload';
import type { ActionReply, IncomingAction, IncomingMessage, Reply } from './turn';

export interface MessageTurn {
  message: IncomingMessage;
  reference: Partial<ConversationReference>;
}

export interface ActionTurn {
  action: IncomingAction;
  reference: Partial<ConversationReference>;
  /** Card inputs Teams sent with the click (form fields): user input, validated by the handler. */
  inputs: Record<string, unknown>;
  /** The nonce of the signed data, for replay protection. */
  nonce: string;
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

function checkTenant(deps: CoreDeps, tenantId: string | undefined): void {
  if (!tenantAllowed(tenantId, deps.config.authz.allowedTenants)) {
    throw new BotError('TenantNotAllowed', 'This bot only serves its own organisation, and your tenant is not one of them.', 'Ask your admin to add your tenant to PIM_ALLOWED_TENANTS if it should be.');
  }
}

export function createBotCore(deps: CoreDeps, handlers: CoreHandlers): BotCore {
  return {
    async onMessage(message, reference) {
      const log = deps.logger.child({ activityId: message.activityId, conversationType: message.conversation.type });
      try {
        checkTenant(deps, message.conversation.tenantId);
        const turn: MessageTurn = { message, reference };
        await handlers.onMessageSeen?.(deps, turn);
        const parsed = parseCommand({ text: message.text, entities: message.entities, botId: message.botId });
        if (!parsed.ok) {
          log.info({ code: parsed.error.code }, 'could not parse a command');
          const replies: Reply[] = [
            {
              card: buildErrorCard(
                {
                  title: parsed.error.code === 'UnknownCommand' ? "I don't know that command" : 'Please check the command',
                  message: parsed.error.message,
                  whatToDo: parsed.error.suggestion ? `Did you mean \`${parsed.error.suggestion}\`?` : undefined,
                },
                cardContextOf(deps),
              ),
            },
          ];
          if (parsed.error.code === 'UnknownCommand' || parsed.error.code === 'Empty') replies.push({ card: buildHelpCard({}, cardContextOf(deps)) });
          return replies;
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
        checkTenant(deps, action.conversation.tenantId);
        const verified = deps.signer.verify(action.data);
        if (!verified.ok) {
          log.warn({ code: verified.code }, 'refused card action data');
          await deps.store.appendAudit({
            at: new Date(deps.clock.now()).toISOString(),
            actorObjectId: action.from.aadObjectId,
            actorName: action.from.name,
            tenantId: action.conversation.tenantId,
            action: action.verb || 'unknown',
            result: 'refused',
            detail: `Card data refused (${verified.code}).`,
            conversationId: action.conversation.id,
          });
          throw new BotError('BadActionData', verified.message);
        }
        const payload = parseActionPayload(action.verb, verified.payload, (scope) => deps.scopes.some((s) => s.scope.toLowerCase() === scope.toLowerCase()));
        const turn: ActionTurn = { action, reference, inputs: verified.inputs, nonce: verified.nonce };
        log.info('card action');
        const handler = handlers.actions[payload.verb] as (d: CoreDeps, p: ActionPayload, t: ActionTurn) => Promise<ActionReply>;
        return await handler(deps, payload, turn);
      } catch (err) {
        return { card: errorCard(deps, err, action.activityId) };
      }
    },

    async onConversationEvent(event) {
      if (!handlers.onConversationEvent) return [];
      try {
        if (!tenantAllowed(event.conversation.tenantId, deps.config.authz.allowedTenants)) return [];
        return await handlers.onConversationEvent(deps, event);
      } catch (err) {
        deps.logger.error({ err: { message: (err as Error).message } }, 'conversation event failed');
        return [];
      }
    },
  };
}
