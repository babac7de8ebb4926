// Read commands and read-only card buttons: open to everyone in the allowed tenants, and none of
// them changes anything in Azure.
import {
  buildConfigCard,
  buildDetailCard,
  buildHelpCard,
  buildScopesCard,
  buildSummaryCard,
  type BannerInput,
  type ConfirmInput,
  type Severity,
} from '../../cards';
import type { CommandName } from '../commands/catalog';
import type { CommandOf } from '../commands/parser';
import { readAlertsAcrossScopes, readTimeOf } from '../core/reader';
import { cardContextOf, type CoreDeps, type ServiceDeps } from '../core/deps';
import type { ActionReply, Reply } from '../core/turn';
import { configuredScope, findAlert, scopeByRef } from './lookup';
import type { ConfiguredScope } from '../config';
import type { Alert } from '../azure/models';

/** `help`, or one command in full with `help <command>`. */
export function helpCard(deps: CoreDeps, topic?: CommandName): Reply {
  return { card: buildHelpCard(topic ? { topic } : {}, cardContextOf(deps)) };
}

export interface SummaryOptions {
  scope?: string | 'all';
  severity?: Severity;
  page?: number;
  /** `scope` is a verified scope id from a card, not what a person typed. */
  byId?: boolean;
  banner?: BannerInput;
  confirm?: ConfirmInput;
}

export async function summaryCard(deps: ServiceDeps, opts: SummaryOptions): Promise<ActionReply> {
  let targets: readonly ConfiguredScope[] = deps.scopes;
  if (opts.scope && opts.scope !== 'all') targets = [opts.byId ? configuredScope(deps, opts.scope) : scopeByRef(deps, opts.scope)];
  const read = await readAlertsAcrossScopes(deps.api, targets);
  const card = buildSummaryCard(
    {
      scopes: read.map((r) => ({ scope: r.scope, displayName: r.displayName, alerts: r.alerts, error: r.error, readAt: r.readAt })),
      filter: opts.severity ? { severity: opts.severity } : undefined,
      page: opts.page,
      banner: opts.banner,
      confirm: opts.confirm,
    },
    cardContextOf(deps),
  );
  return { card };
}

export async function alerts(deps: CoreDeps, cmd: CommandOf<'alerts'>): Promise<Reply[]> {
  return [await summaryCard(deps, { scope: cmd.scope, severity: cmd.severity as Severity | undefined })];
}

export async function detailCard(
  deps: ServiceDeps,
  scope: ConfiguredScope,
  alertId: string,
  extra: { banner?: BannerInput; confirm?: ConfirmInput; incidentPage?: number; /** Already read by the caller. */ alert?: Alert } = {},
): Promise<ActionReply> {
  const { alert: known, ...rest } = extra;
  const alert = known ?? (await deps.api.getAlert(scope.scope, alertId));
  return {
    card: buildDetailCard({ alert, scope: scope.scope, scopeDisplayName: scope.displayName, readAt: readTimeOf(alert), ...rest }, cardContextOf(deps)),
  };
}

export async function alert(deps: CoreDeps, cmd: CommandOf<'alert'>): Promise<Reply[]> {
  const found = await findAlert(deps, cmd.alert, cmd.scope);
  const banner: BannerInput | undefined = found.alsoActiveIn.length
    ? { text: `Also active on ${found.alsoActiveIn.map((s) => s.displayName ?? s.scope).join(', ')}: add the scope to see those.`, style: 'accent' }
    : undefined;
  return [
    {
      card: buildDetailCard({ alert: found.alert, scope: found.scope.scope, scopeDisplayName: found.scope.displayName, banner, readAt: readTimeOf(found.alert) }, cardContextOf(deps)),
    },
  ];
}

export async function scopes(deps: CoreDeps, page?: number): Promise<Reply[]> {
  const read = await readAlertsAcrossScopes(deps.api, deps.scopes);
  return [{ card: buildScopesCard({ scopes: read.map((r) => ({ scope: r.scope, displayName: r.displayName, alerts: r.alerts, error: r.error, readAt: r.readAt })), page }, cardContextOf(deps)) }];
}

export async function configCard(deps: CoreDeps, scope: ConfiguredScope, alertId: string, banner?: BannerInput): Promise<ActionReply> {
  const [configuration, definition] = await Promise.all([
    deps.api.getAlertConfiguration(scope.scope, alertId),
    deps.api.getAlertDefinition(scope.scope, alertId).catch(() => undefined),
  ]);
  return {
    card: buildConfigCard({ configuration, definition, scope: scope.scope, scopeDisplayName: scope.displayName, alertId, banner, readAt: readTimeOf(configuration) }, cardContextOf(deps)),
  };
}

export async function config(deps: CoreDeps, cmd: CommandOf<'config'>): Promise<Reply[]> {
  const found = await findAlert(deps, cmd.alert, cmd.scope);
  return [await configCard(deps, found.scope, found.alert.name)];
}
