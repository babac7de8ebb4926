// Shared pieces of the digest tests: a CoreDeps with a real SQLite store, signer and authorizer and
// a fake PIM alerts API whose alerts a test changes between runs, plus a recording `deliver`.
import type { Activity } from 'botbuilder';
import type { PimAlertsApi } from '../../bot/azure/api';
import type { Alert } from '../../bot/azure/models';
import type { ConfiguredScope } from '../../bot/config';
import type { CoreDeps } from '../../bot/core/deps';
import type { DeliveryResult } from '../../bot/delivery';
import { silentLogger } from '../../bot/log';
import { createAuthorizer } from '../../bot/security/authorizer';
import { createActionSigner } from '../../bot/security/signing';
import { openSqliteStore } from '../../bot/store/sqlite';
import type { BotStore, StoredConversationReference, Subscription } from '../../bot/store/types';
import { makeAlert } from '../cards/data';

export const PROD = 'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f';
export const STAGING = 'subscriptions/5d4bcab9-e4f1-4b65-b7d1-9c494b61fa8d';
export const RG = 'subscriptions/c8a712ad-eaae-41a3-9e8c-113368238c79/resourceGroups/rg-payments-prod';

export const SCOPES: ConfiguredScope[] = [
  { scope: PROD, displayName: 'Contoso Production' },
  { scope: STAGING, displayName: 'Contoso Staging' },
  { scope: RG, displayName: 'Payments RG' },
];

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const OPERATOR = '7faf8ab2-3d56-4244-b585-20c8a42ed2b8';
export const SECRET = 'digest-tests-secret-0123456789abcdef0123456789';

/** A PIM alerts API with alerts per scope that a test edits; counts listAlerts calls. */
export class FakeAlertsApi {
  readonly alerts = new Map<string, Alert[]>();
  readonly listCalls: string[] = [];
  readonly failing = new Map<string, string>();

  set(scope: string, alerts: Alert[]): void {
    this.alerts.set(scope.toLowerCase(), alerts);
  }

  get(scope: string): Alert[] {
    return this.alerts.get(scope.toLowerCase()) ?? [];
  }

  asApi(): PimAlertsApi {
    const unused = (name: string) => async () => {
      throw new Error(`${name} is not used by digests`);
    };
    return {
      listAlerts: async (scope: string) => {
        this.listCalls.push(scope);
        const failure = this.failing.get(scope.toLowerCase());
        if (failure) throw new Error(failure);
        return structuredClone(this.get(scope));
      },
      getAlert: unused('getAlert'),
      updateAlert: unused('updateAlert'),
      refreshAlert: unused('refreshAlert'),
      refreshAllAlerts: unused('refreshAllAlerts'),
      listAlertConfigurations: unused('listAlertConfigurations'),
      getAlertConfiguration: unused('getAlertConfiguration'),
      updateAlertConfiguration: unused('updateAlertConfiguration'),
      listAlertDefinitions: unused('listAlertDefinitions'),
      getAlertDefinition: unused('getAlertDefinition'),
      listAlertIncidents: unused('listAlertIncidents'),
      getAlertIncident: unused('getAlertIncident'),
      remediateAlertIncident: unused('remediateAlertIncident'),
      pollOperation: unused('pollOperation'),
    } as unknown as PimAlertsApi;
  }
}

export interface TestDepsOptions {
  store?: BotStore;
  scopes?: ConfiguredScope[];
  authz?: 'everyone' | 'allowlist';
  operators?: string[];
  timeZone?: string;
  api?: FakeAlertsApi;
}

export function makeDeps(opts: TestDepsOptions = {}): { deps: CoreDeps; api: FakeAlertsApi; store: BotStore } {
  const clock = { now: () => Date.now() };
  const store = opts.store ?? openSqliteStore({ file: ':memory:', clock });
  const api = opts.api ?? new FakeAlertsApi();
  const mode = opts.authz ?? 'everyone';
  const deps: CoreDeps = {
    config: {
      mode: 'azure',
      timeZone: opts.timeZone ?? 'UTC',
      authz: { mode, operators: opts.operators ?? [], allowedTenants: 'any', cacheTtlMs: 60_000 },
      pollDeadlineMs: 600_000,
    },
    scopes: opts.scopes ?? SCOPES,
    api: api.asApi(),
    signer: createActionSigner({ secret: SECRET, clock }),
    authorizer: createAuthorizer({ mode, operators: opts.operators ?? [], clock }),
    store,
    clock,
    logger: silentLogger(),
    // Digest tests drive the scheduler themselves; a test that needs these replaces them.
    background: { trackOperation: () => undefined, updateCard: async () => undefined },
    digests: { schedule: () => undefined, unschedule: () => undefined },
  };
  return { deps, api, store };
}

export function channelRef(conversationId: string, serviceUrl = 'https://smba.trafficmanager.net/amer/'): StoredConversationReference {
  return {
    channelId: 'msteams',
    serviceUrl,
    conversation: { id: conversationId, conversationType: 'channel', isGroup: true, tenantId: TENANT },
    bot: { id: '28:c9e8c047-2a74-40a2-b28a-b162d5f5327c', name: 'PIM Alerts' },
  };
}

let nextId = 1;

export function makeSub(over: Partial<Subscription> & Pick<Subscription, 'conversationId'>): Subscription {
  return {
    id: `sub${nextId++}`,
    cron: '0 9 * * *',
    label: 'daily at 09:00',
    timeZone: 'UTC',
    scopes: [],
    mode: 'changes',
    createdBy: { objectId: OPERATOR, name: 'Megan Bowen' },
    createdAt: new Date(Date.now()).toISOString(),
    enabled: true,
    ...over,
  };
}

/** Stores the conversation and the subscription, as `subscribe` would. */
export async function subscribeIn(store: BotStore, sub: Subscription, ref = channelRef(sub.conversationId)): Promise<Subscription> {
  await store.upsertConversation(ref, new Date(Date.now()).toISOString());
  await store.addSubscription(sub);
  return sub;
}

export interface Delivered {
  at: string;
  conversationId: string;
  card: Record<string, unknown>;
  text: string;
}

/** A `deliver` that records what it was given; conversations in `gone` answer as Teams does once the bot is removed. */
export function recordingDeliver(): {
  deliver: (ref: StoredConversationReference, activity: Partial<Activity>) => Promise<DeliveryResult>;
  sent: Delivered[];
  gone: Map<string, 403 | 404>;
  attempts: string[];
} {
  const sent: Delivered[] = [];
  const gone = new Map<string, 403 | 404>();
  const attempts: string[] = [];
  return {
    sent,
    gone,
    attempts,
    deliver: async (ref, activity) => {
      attempts.push(ref.conversation.id);
      const status = gone.get(ref.conversation.id);
      if (status) {
        return { ok: false, gone: true, status, code: status === 403 ? 'BotNotInConversationRoster' : 'ConversationNotFound', attempts: 1, error: `Teams answered ${status}.` };
      }
      const card = (activity.attachments?.[0]?.content ?? {}) as Record<string, unknown>;
      sent.push({ at: new Date(Date.now()).toISOString(), conversationId: ref.conversation.id, card, text: cardText(card) });
      return { ok: true, activityId: `act-${sent.length}`, attempts: 1 };
    },
  };
}

/** Every text a person would read on the card, one line each. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      if (typeof o.text === 'string') out.push(o.text);
      if (typeof o.title === 'string' && typeof o.value === 'string') out.push(`${o.title}: ${o.value}`);
      else if (typeof o.title === 'string' && typeof o.type === 'string' && o.type.startsWith('Action.')) out.push(`[${o.title}]`);
      for (const [k, v] of Object.entries(o)) if (k !== 'data') walk(v);
    }
  };
  walk(card);
  return out.join('\n');
}

export { makeAlert };
