// The routing tables: one handler per command and one per card verb. A command or verb added to
// the catalog or to ActionPayload does not compile until it is given a handler here.
import type { ActionHandlers, CommandHandlers, CoreHandlers } from '../core/router';
import * as read from './read';
import * as actions from './actions';
import * as commands from './commands';
import * as digest from './digest';
import { configuredScope } from './lookup';
import type { ActionReply, Reply } from '../core/turn';

function card(r: Reply): ActionReply {
  if ('card' in r) return { card: r.card };
  throw new Error('a card action must answer with a card');
}

export const commandHandlers: CommandHandlers = {
  help: async (deps, cmd) => [read.helpCard(deps, cmd.topic)],
  alerts: read.alerts,
  alert: read.alert,
  scopes: (deps) => read.scopes(deps),
  config: read.config,
  dismiss: commands.dismiss,
  remediate: commands.remediate,
  refresh: commands.refresh,
  whoami: commands.whoami,
  audit: commands.auditLog,
  subscribe: digest.subscribe,
  subscriptions: digest.subscriptions,
  unsubscribe: digest.unsubscribe,
  digest: digest.digestNow,
};

export const actionHandlers: ActionHandlers = {
  details: async (deps, p) => card(await read.detailCard(deps, configuredScope(deps, p.scope), p.alertId)),
  incidents: async (deps, p) => card(await read.detailCard(deps, configuredScope(deps, p.scope), p.alertId, { incidentPage: p.page })),
  alerts: async (deps, p) => card(await read.summaryCard(deps, { scope: p.scope, severity: p.severity, page: p.page, byId: true })),
  scopes: async (deps, p) => card((await read.scopes(deps, p.page))[0]!),
  help: async (deps, p) => card(read.helpCard(deps, p.topic)),
  cancel: async (deps, p) => {
    const scope = configuredScope(deps, p.scope);
    if (p.alertId && p.from === 'config') return read.configCard(deps, scope, p.alertId);
    return card(p.alertId ? await read.detailCard(deps, scope, p.alertId) : await read.summaryCard(deps, { scope: p.scope, byId: true }));
  },
  dismissConfirm: actions.dismissConfirm,
  dismiss: actions.dismiss,
  remediateConfirm: actions.remediateConfirm,
  remediate: actions.remediate,
  refreshConfirm: actions.refreshConfirm,
  refresh: actions.refresh,
  configure: actions.configure,
  configureSubmit: actions.configureSubmit,
  unsubscribe: digest.unsubscribeAction,
};

export function createHandlers(): CoreHandlers {
  return {
    commands: commandHandlers,
    actions: actionHandlers,
    onConversationEvent: digest.onConversationEvent,
    onMessageSeen: digest.rememberConversation,
  };
}
