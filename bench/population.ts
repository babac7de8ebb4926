// The benchmark's population: conversation references shaped like the ones Teams sends (channels,
// group chats, 1:1 chats of one tenant) and one digest subscription per conversation, as the
// `subscribe` command would store them. Every schedule is a different wording or time zone, yet all
// land on the same UTC instant, so one scheduler run has the whole population due at once, as a
// tenant-wide "daily 09:00" does in production.
import { nextRun, parseSchedule, resolveTimeZone } from '../bot/commands/schedule';
import type { StoredConversationReference, Subscription } from '../bot/store/types';

export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const BOT = { id: '28:c9e8c047-2a74-40a2-b28a-b162d5f5327c', name: 'PIM Alerts' };
const OPERATOR = { objectId: '5d8e2f1a-3c4b-4a6d-9e7f-0a1b2c3d4e20', name: 'Alex Wilber' };

/** A Thursday in winter: no DST anywhere in the list below shifts any of these runs off it. */
export const RUN_INSTANT = Date.parse('2026-01-15T08:00:00.000Z');

/** Schedule text as typed after `subscribe`, and the time zone it was given in; all due at RUN_INSTANT. */
export const SCHEDULES: ReadonlyArray<readonly [schedule: string, timeZone: string]> = [
  ['daily 09:00', 'Europe/Berlin'],
  ['daily 09:00', 'Europe/Paris'],
  ['weekdays 09:00', 'Africa/Lagos'],
  ['daily 08:00', 'Europe/London'],
  ['daily 08:00', 'UTC'],
  ['daily 03:00', 'America/New_York'],
  ['daily 13:30', 'Asia/Kolkata'],
  ['weekdays 10:00', 'Africa/Johannesburg'],
  ['0 8 * * 1-5', 'UTC'],
];

export function references(serviceUrl: string, count: number): StoredConversationReference[] {
  return Array.from({ length: count }, (_, i) => {
    const hex = i.toString(16).padStart(6, '0');
    // Mostly channels, some group chats and 1:1 chats, as a tenant-wide install looks.
    const conversation =
      i % 10 < 7
        ? { id: `19:${hex}a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5@thread.tacv2`, conversationType: 'channel', isGroup: true, tenantId: TENANT_ID }
        : i % 10 < 9
          ? { id: `19:${hex}f0e1d2c3b4a5968778695a4b3c2d1e0f@thread.v2`, conversationType: 'groupChat', isGroup: true, tenantId: TENANT_ID }
          : { id: `a:1${hex}XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ`, conversationType: 'personal', tenantId: TENANT_ID };
    return { channelId: 'msteams', serviceUrl, conversation, bot: BOT, locale: 'en-US' };
  });
}

/**
 * One subscription per reference over the given scopes: a fifth on every scope, a fifth on every
 * scope for High only, the rest on one or two scopes; mostly "when changed", some "every time".
 * Throws if a schedule does not land on RUN_INSTANT, since the run would then not be one run.
 */
export function subscriptions(refs: readonly StoredConversationReference[], scopes: readonly string[]): Subscription[] {
  const createdAt = new Date(RUN_INSTANT - 20 * 60 * 60_000).toISOString();
  const specs = SCHEDULES.map(([text, zone]) => {
    const parsed = parseSchedule(text);
    const tz = resolveTimeZone(zone);
    if (!parsed.ok) throw new Error(parsed.error.message);
    if (!tz.ok) throw new Error(tz.error.message);
    const due = nextRun(parsed.spec, tz.timeZone, new Date(createdAt))?.getTime();
    if (due !== RUN_INSTANT) {
      throw new Error(`The schedule "${text}" in ${zone} runs at ${due === undefined ? 'no time' : new Date(due).toISOString()}, not at the benchmark's instant; pick a schedule that does.`);
    }
    return { cron: parsed.spec.cron, label: parsed.spec.label, timeZone: tz.timeZone };
  });
  return refs.map((ref, i) => {
    const spec = specs[i % specs.length]!;
    const one = scopes[i % scopes.length]!;
    const two = scopes[(i + 1) % scopes.length]!;
    const shape = i % 5;
    const chosen = shape === 0 || shape === 3 ? [] : shape === 2 && one !== two ? [one, two] : [one];
    return {
      id: `bench${i.toString(36).padStart(4, '0')}`,
      conversationId: ref.conversation.id,
      ...spec,
      scopes: chosen,
      ...(shape === 3 ? { severity: 'High' as const } : {}),
      mode: i % 4 === 0 ? ('always' as const) : ('changes' as const),
      createdBy: OPERATOR,
      createdAt,
      enabled: true,
    };
  });
}
