// Data for the whoami and audit cards: scopes with the authorizer's decisions (reasons worded as
// bot/security/rbac.ts and authorizer.ts word them) and audit entries as the action handlers write
// them, generated with the seeded generator so every run sees the same data.
import type { AuditEntry } from '../../bot/store/types';
import type { WhoamiScopeInput } from '../../cards/whoami';
import { EXAMPLE_SCOPE, manyScopes, rng } from './data';

/** Megan Bowen as the Teams invoke fixtures send her. */
export const MEGAN = { name: 'Megan Bowen', objectId: '7faf8ab2-3d56-4244-b585-20c8a42ed2b8' };

const PEOPLE = [
  MEGAN,
  { name: 'Alex Wilber', objectId: '3b1c0c9e-2f4e-4d7b-9a61-0c6a2f1d8e44' },
  { name: 'Adele Vance', objectId: 'c0a8f6d2-71e5-4b3a-8f0e-5d2b9c4a1e77' },
  { name: 'Lee Gu', objectId: '9e4d2c1b-0a8f-4e6d-b5c3-2a1f0e9d8c66' },
];

function guid(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A decision for each of `count` generated scopes: every third one refused, as rbac mode words it. */
export function decidedScopes(count: number): WhoamiScopeInput[] {
  return manyScopes(count, 0).map((s, i) =>
    i % 3 === 2
      ? { scope: s.scope, displayName: s.displayName, allowed: false, reason: `You need Owner or User Access Administrator on ${s.scope}; you have Reader and Contributor there.` }
      : {
          scope: s.scope,
          displayName: s.displayName,
          allowed: true,
          reason: `Allowed: ${i % 2 ? 'User Access Administrator' : 'Owner'} at ${i % 2 ? 'providers/Microsoft.Management/managementGroups/mg-contoso' : s.scope}.`,
        },
  );
}

const ACTIONS: Array<Pick<AuditEntry, 'action' | 'result' | 'detail'> & { incident?: boolean; request?: boolean }> = [
  { action: 'dismiss', result: 'succeeded', detail: 'Dismissed the alert; it stays dismissed until the next scan finds it again.', request: true },
  { action: 'remediate', result: 'succeeded', detail: 'Removed the role assignment named by the incident.', incident: true, request: true },
  { action: 'refresh', result: 'started', detail: 'Started a rescan of the alert.', request: true },
  { action: 'refresh', result: 'awaitingConfirmation' },
  { action: 'dismiss', result: 'refused', detail: `You need Owner or User Access Administrator on ${EXAMPLE_SCOPE}; you have Reader there.` },
  { action: 'configure', result: 'failed', detail: 'Azure refused the change because the threshold is out of range (InvalidAlertConfiguration).', request: true },
];

/**
 * `count` audit entries, one minute apart from 8 Apr 2022 09:29 UTC backwards, in shuffled order
 * (the card must sort them), with ids in the order they were written.
 */
export function auditEntries(count: number, seed = 11): AuditEntry[] {
  const next = rng(seed);
  const start = Date.parse('2022-04-08T09:29:00Z');
  const entries: AuditEntry[] = Array.from({ length: count }, (_, i) => {
    const kind = ACTIONS[i % ACTIONS.length] ?? ACTIONS[0];
    const who = PEOPLE[i % PEOPLE.length] ?? MEGAN;
    const entry: AuditEntry = {
      id: String(count - i),
      at: new Date(start - i * 60_000).toISOString(),
      actorObjectId: who.objectId,
      actorName: who.name,
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      action: kind?.action ?? 'dismiss',
      scope: EXAMPLE_SCOPE,
      alertId: i % 2 ? 'TooManyOwnersAssignedToResource' : 'AzureRolesAssignedOutsidePimAlert',
      result: kind?.result ?? 'succeeded',
      conversationId: '19:c2f8a6e3d0b14b5f9e8a7d6c5b4a3f21@thread.tacv2',
    };
    if (kind?.detail) entry.detail = kind.detail;
    if (kind?.incident) entry.incidentId = guid(next);
    if (kind?.request) entry.armRequestId = guid(next);
    return entry;
  });
  // Fisher–Yates with the seeded generator.
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const a = entries[i];
    const b = entries[j];
    if (a && b) {
      entries[i] = b;
      entries[j] = a;
    }
  }
  return entries;
}
