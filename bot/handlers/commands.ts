// Text commands that lead to a change: they answer with the card at its confirm step and change
// nothing themselves (free text never writes to Azure), plus `whoami` and `audit`.
import { buildAuditCard, buildDetailCard, buildWhoamiCard, type ConfirmInput } from '../../cards';
import type { CommandOf } from '../commands/parser';
import { cardContextOf, type CoreDeps } from '../core/deps';
import { BotError } from '../core/errors';
import type { Reply } from '../core/turn';
import type { MessageTurn } from '../core/router';
import { audit } from '../core/audit';
import { authorize, dismissConfirmation, refreshConfirmation, remediateConfirmation } from './actions';
import { findAlert, scopeByRef, type FoundAlert } from './lookup';
import { readTimeOf } from '../core/reader';
import { summaryCard } from './read';
import type { ConfiguredScope } from '../config';
import { validateId } from '../azure/validate';
import type { AlertIncident } from '../azure/models';

function actor(turn: MessageTurn) {
  return { from: turn.message.from, conversation: turn.message.conversation };
}

/**
 * A typed change: checked and audited like a click, then answered with the alert's card at its
 * confirm step. Nothing changes until someone clicks Confirm.
 */
async function confirmStep(
  deps: CoreDeps,
  turn: MessageTurn,
  found: FoundAlert,
  what: { action: string; incidentId?: string },
  confirm: ConfirmInput,
): Promise<Reply[]> {
  const target = { ...what, scope: found.scope.scope, alertId: found.alert.name };
  await authorize(deps, actor(turn), found.scope, target);
  await audit(deps, actor(turn), { ...target, result: 'awaitingConfirmation', detail: 'Asked by text; nothing changes until the Confirm button is clicked.' });
  const card = buildDetailCard({ alert: found.alert, scope: found.scope.scope, scopeDisplayName: found.scope.displayName, confirm, readAt: readTimeOf(found.alert) }, cardContextOf(deps));
  return [{ card }];
}

export async function dismiss(deps: CoreDeps, cmd: CommandOf<'dismiss'>, turn: MessageTurn): Promise<Reply[]> {
  const found = await findAlert(deps, cmd.alert, cmd.scope);
  return confirmStep(deps, turn, found, { action: 'dismiss' }, dismissConfirmation(found.scope, found.alert.name));
}

/** An incident named by position (1 = first listed), by its GUID, or by its full resource id. */
function pickIncident(ref: string, incidents: readonly AlertIncident[]): AlertIncident {
  if (/^\d{1,4}$/.test(ref)) {
    const i = incidents[Number(ref) - 1];
    if (!i) throw new BotError('IncidentNotFound', `There is no incident number ${ref}; this alert has ${incidents.length}.`, 'Type `alert <name>` to see its incidents.');
    return i;
  }
  const last = ref.split('/').filter(Boolean).pop() ?? ref;
  const id = validateId('incident', last);
  const hit = incidents.find((i) => i.name.toLowerCase() === id.toLowerCase());
  if (!hit) throw new BotError('IncidentNotFound', `This alert has no incident ${id}.`, 'Type `alert <name>` to see its incidents.');
  return hit;
}

export async function remediate(deps: CoreDeps, cmd: CommandOf<'remediate'>, turn: MessageTurn): Promise<Reply[]> {
  const found = await findAlert(deps, cmd.alert, cmd.scope);
  const incidents = found.alert.properties.alertIncidents ?? (await deps.api.listAlertIncidents(found.scope.scope, found.alert.name));
  const incident = pickIncident(cmd.incident, incidents);
  return confirmStep(deps, turn, found, { action: 'remediate', incidentId: incident.name }, remediateConfirmation(found.scope, found.alert.name, incident));
}

export async function refresh(deps: CoreDeps, cmd: CommandOf<'refresh'>, turn: MessageTurn): Promise<Reply[]> {
  if (cmd.alert && cmd.alert !== 'all') {
    const found = await findAlert(deps, cmd.alert, cmd.scope);
    return confirmStep(deps, turn, found, { action: 'refresh' }, refreshConfirmation(found.scope, found.alert.name));
  }
  let scope: ConfiguredScope;
  if (cmd.scope) scope = scopeByRef(deps, cmd.scope);
  else if (deps.scopes.length === 1) scope = deps.scopes[0]!;
  else throw new BotError('InvalidInput', 'Which scope should I rescan? I watch several.', 'Add the scope, e.g. `refresh all 1`; type `scopes` to see them.');
  await authorize(deps, actor(turn), scope, { action: 'refresh' });
  await audit(deps, actor(turn), { action: 'refresh', scope: scope.scope, result: 'awaitingConfirmation', detail: 'Asked by text; nothing changes until the Confirm button is clicked.' });
  return [
    await summaryCard(deps, {
      scope: scope.scope,
      byId: true,
      confirm: refreshConfirmation(scope),
    }),
  ];
}

export async function whoami(deps: CoreDeps, _cmd: CommandOf<'whoami'>, turn: MessageTurn): Promise<Reply[]> {
  const person = { objectId: turn.message.from.aadObjectId, name: turn.message.from.name, tenantId: turn.message.conversation.tenantId };
  const decisions = await Promise.all(deps.scopes.map(async (s) => ({ scope: s.scope, displayName: s.displayName, decision: await deps.authorizer.canAct(person, s.scope) })));
  return [
    {
      card: buildWhoamiCard(
        {
          name: turn.message.from.name,
          objectId: turn.message.from.aadObjectId,
          mode: deps.authorizer.mode,
          scopes: decisions.map((d) => ({ scope: d.scope, displayName: d.displayName, allowed: d.decision.allowed, reason: d.decision.reason, deniedBy: d.decision.deniedBy })),
        },
        cardContextOf(deps),
      ),
    },
  ];
}

/** The audit log shows who changed what: only people who may act on at least one scope see it. */
export async function auditLog(deps: CoreDeps, cmd: CommandOf<'audit'>, turn: MessageTurn): Promise<Reply[]> {
  const person = { objectId: turn.message.from.aadObjectId, name: turn.message.from.name, tenantId: turn.message.conversation.tenantId };
  let allowed = false;
  for (const s of deps.scopes) {
    if ((await deps.authorizer.canAct(person, s.scope)).allowed) {
      allowed = true;
      break;
    }
  }
  if (!allowed) {
    await audit(deps, actor(turn), {
      action: 'audit',
      result: 'refused',
      reason: turn.message.from.aadObjectId ? 'notAuthorized' : 'missingObjectId',
      detail: 'Asked for the audit log without the rights to act on any watched scope.',
    });
    throw new BotError(
      'NotAuthorized',
      'The audit log is for operators: people with Owner or User Access Administrator on a watched Azure scope, or Privileged Role Administrator or Global Administrator in a watched directory.',
      'Type `whoami` to see your rights.',
    );
  }
  const entries = await deps.store.latestAudit(cmd.count ?? 10);
  return [{ card: buildAuditCard({ entries }, cardContextOf(deps)) }];
}
