// Benchmark: one scheduled digest run to 1,000 conversations, through the real botbuilder
// CloudAdapter (no app id: no token, loopback only), createBotFrameworkSender, createDelivery and
// its limiter, into the recording fake Bot Connector enforcing Teams' PUBLISHED limits (per
// conversation 7/1 s, 8/2 s, 60/30 s, 1800/h; per tenant 50/s) and failing 1 % of requests with a
// 502/503/504. Prints what was delivered, lost and duplicated, the 429s Teams would have sent, the
// retries, and the wall time against the floor the limits allow.
//
//   npm run bench:digest        ("bench:digest": "tsx bench/digest.ts")
//   options: --conversations N (default 1000)  --failure-share F (default 0.01)
import fs from 'node:fs';
import path from 'node:path';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type Attachment } from 'botbuilder';
import type { Alert } from '../bot/azure/models';
import { createBotFrameworkSender } from '../bot/delivery/botframework';
import { createDelivery, type DeliveryResult } from '../bot/delivery/delivery';
import { TEAMS_DELIVERY_LIMITS } from '../bot/delivery/limiter';
import { TEAMS_GLOBAL_WINDOWS, TEAMS_PER_CONVERSATION_WINDOWS } from '../bot/delivery/windows';
import type { StoredConversationReference } from '../bot/store/types';
import { peakWindowCounts, startFakeConnector } from '../test/fakes/connector';

const HARD_LIMIT_MS = 110_000;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} needs a non-negative number.`);
  return v;
}

const EXAMPLES = path.join(__dirname, '..', 'test', 'fixtures', 'arm', 'examples');
const exampleAlerts = (): Alert[] =>
  (JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'GetAlerts.json'), 'utf8')) as { responses: { '200': { body: { value: Alert[] } } } })
    .responses['200'].body.value;

/**
 * A digest card as a channel gets it: a header with totals, then each scope's active alerts with
 * severity, incident count, last scan and buttons. Built from the official GetAlerts example over
 * four scopes, which lands at about 10 KB, a realistic size for a multi-scope digest.
 */
function digestCard(): Attachment {
  const alerts = exampleAlerts();
  const scopes = [
    'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f',
    'subscriptions/0c7ac5a3-2bd3-4a4c-9b1f-2d1b1b4e2f11',
    'subscriptions/5d7b1d5e-6f3a-4c89-9a1e-7f2b3c4d5e6f/resourceGroups/prod-network',
    'providers/Microsoft.Management/managementGroups/contoso-platform',
  ];
  const body: unknown[] = [
    { type: 'TextBlock', text: 'PIM alerts digest — daily 09:00 (Europe/Berlin)', size: 'Large', weight: 'Bolder', wrap: true, style: 'heading' },
    { type: 'TextBlock', text: `${scopes.length * alerts.length} active alerts across ${scopes.length} scopes · 2 new since yesterday`, isSubtle: true, wrap: true, spacing: 'None' },
    {
      type: 'ColumnSet',
      columns: [
        ['0', 'High', 'attention'],
        [String(scopes.length * alerts.length), 'Medium', 'warning'],
        ['0', 'Low', 'default'],
      ].map(([count, label, color]) => ({
        type: 'Column',
        width: 'auto',
        items: [
          { type: 'TextBlock', text: count, size: 'ExtraLarge', weight: 'Bolder', color, horizontalAlignment: 'Center' },
          { type: 'TextBlock', text: label, color, spacing: 'None', horizontalAlignment: 'Center' },
        ],
      })),
    },
  ];
  for (const [n, scope] of scopes.entries()) {
    body.push({
      type: 'Container',
      separator: true,
      spacing: 'Medium',
      items: [
        { type: 'TextBlock', text: scope.split('/').pop(), weight: 'Bolder', wrap: true },
        { type: 'TextBlock', text: scope, isSubtle: true, size: 'Small', wrap: true, spacing: 'None' },
        ...alerts.map((alert) => {
          const def = alert.properties.alertDefinition!.properties;
          return {
            type: 'ColumnSet',
            spacing: 'Small',
            selectAction: { type: 'Action.Execute', verb: 'alert', data: { verb: 'alert', scope, alertId: alert.name } },
            columns: [
              { type: 'Column', width: 'auto', items: [{ type: 'TextBlock', text: def.severityLevel, color: 'warning', weight: 'Bolder' }] },
              {
                type: 'Column',
                width: 'stretch',
                items: [
                  { type: 'TextBlock', text: `${n === 0 ? '🆕 ' : ''}${def.displayName}`, wrap: true },
                  {
                    type: 'TextBlock',
                    text: `${alert.properties.incidentCount} incident · scanned ${alert.properties.lastScannedDateTime} · ${def.securityImpact}`,
                    isSubtle: true,
                    size: 'Small',
                    wrap: true,
                    spacing: 'None',
                  },
                ],
              },
            ],
          };
        }),
        {
          type: 'ActionSet',
          actions: [
            { type: 'Action.Execute', title: 'Show alerts', verb: 'alerts', data: { verb: 'alerts', scope } },
            { type: 'Action.Execute', title: 'Refresh scan', verb: 'refreshAll', data: { verb: 'refreshAll', scope } },
          ],
        },
      ],
    });
  }
  return {
    contentType: 'application/vnd.microsoft.card.adaptive',
    content: {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.5',
      msteams: { width: 'Full' },
      fallbackText: 'PIM alerts digest: open Teams to see the card.',
      body,
    },
  };
}

function references(serviceUrl: string, count: number): StoredConversationReference[] {
  const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const bot = { id: '28:c9e8c047-2a74-40a2-b28a-b162d5f5327c', name: 'PIM Alerts' };
  return Array.from({ length: count }, (_, i) => {
    const hex = i.toString(16).padStart(6, '0');
    // Mostly channels, some group chats and 1:1 chats, as a tenant-wide install looks.
    const conversation =
      i % 10 < 7
        ? { id: `19:${hex}a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5@thread.tacv2`, conversationType: 'channel', isGroup: true, tenantId }
        : i % 10 < 9
          ? { id: `19:${hex}f0e1d2c3b4a5968778695a4b3c2d1e0f@thread.v2`, conversationType: 'groupChat', isGroup: true, tenantId }
          : { id: `a:1${hex}XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ`, conversationType: 'personal', tenantId };
    return { channelId: 'msteams', serviceUrl, conversation, bot, locale: 'en-US' };
  });
}

async function main(): Promise<number> {
  const count = Math.floor(option('conversations', 1000));
  const failureShare = option('failure-share', 0.01);
  const fake = await startFakeConnector({
    perConversation: TEAMS_PER_CONVERSATION_WINDOWS,
    global: TEAMS_GLOBAL_WINDOWS,
    failures: { share: failureShare, statuses: [502, 503, 504], seed: 20240901 },
  });
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  adapter.onTurnError = async (_context, error) => {
    console.error(`onTurnError was called, which delivery should never cause: ${String(error)}`);
  };
  const sender = createBotFrameworkSender(adapter, '', { onRetryPolicyNotFound: () => console.error('The connector client retry policy was not found.') });
  const roundTrips: number[] = [];
  const delivery = createDelivery({
    send: async (ref, act) => {
      const t = performance.now();
      try {
        return await sender(ref, act);
      } finally {
        roundTrips.push(performance.now() - t);
      }
    },
  });
  const card = digestCard();
  const activity: Partial<Activity> = { type: 'message', summary: 'PIM alerts digest', attachments: [card] };
  const cardBytes = Buffer.byteLength(JSON.stringify(card.content));
  const refs = references(fake.url, count);

  const guard = setTimeout(() => {
    console.error(`The benchmark did not finish within ${HARD_LIMIT_MS / 1000} s; stopping it.`);
    void delivery.stop();
  }, HARD_LIMIT_MS);
  const started = performance.now();
  const startedAt = Date.now();
  const results: DeliveryResult[] = await Promise.all(refs.map((ref) => delivery.deliver(ref, activity)));
  const wallMs = performance.now() - started;
  clearTimeout(guard);
  await delivery.stop();
  await fake.close();

  const deliveredActivities = fake.allDelivered();
  const perConversation = new Map<string, number>();
  for (const a of deliveredActivities) perConversation.set(a.conversationId, (perConversation.get(a.conversationId) ?? 0) + 1);
  const distinct = refs.filter((r) => perConversation.has(r.conversation.id)).length;
  const duplicates = [...perConversation.values()].reduce((n, c) => n + (c - 1), 0);
  const lost = count - distinct;
  const retries = results.reduce((n, r) => n + Math.max(0, r.attempts - 1), 0);
  const failed = results.filter((r) => !r.ok);
  const attemptsHistogram = new Map<number, number>();
  for (const r of results) attemptsHistogram.set(r.attempts, (attemptsHistogram.get(r.attempts) ?? 0) + 1);
  const global = TEAMS_DELIVERY_LIMITS.global;
  const floorMs = (count / global.limit) * global.intervalMs;
  const accepted = fake.requests.filter((r) => r.status !== 429).length;
  const peaksGlobal = peakWindowCounts(fake.requests, TEAMS_GLOBAL_WINDOWS, () => 'tenant');
  const peaksConversation = peakWindowCounts(fake.requests, TEAMS_PER_CONVERSATION_WINDOWS);

  const line = (label: string, value: string | number) => console.log(`${label.padEnd(34)} ${value}`);
  console.log('Digest delivery benchmark (published Teams limits enforced by the fake connector)');
  line('conversations', count);
  line('card size', `${(cardBytes / 1024).toFixed(1)} KB (activity ${(Buffer.byteLength(JSON.stringify(activity)) / 1024).toFixed(1)} KB)`);
  line('messages delivered', deliveredActivities.length);
  line('distinct conversations reached', distinct);
  line('duplicates (same conversation twice)', duplicates);
  line('lost (expected - delivered distinct)', lost);
  line('deliveries reported failed', failed.length);
  line('429s received', fake.counts.throttled);
  line('5xx injected', `${fake.counts.injected} (share ${failureShare})`);
  line('retries made', retries);
  line('attempts per message', [...attemptsHistogram.entries()].sort((a, b) => a[0] - b[0]).map(([a, n]) => `${a}x${n}`).join(' '));
  line('requests reaching the connector', `${fake.requests.length} (${accepted} admitted)`);
  line('peak per-tenant window', peaksGlobal.map((p) => `${p.peak}/${p.window.limit} per ${p.window.intervalMs / 1000} s`).join(', '));
  line('peak per-conversation windows', peaksConversation.map((p) => `${p.peak}/${p.window.limit} per ${p.window.intervalMs / 1000} s`).join(', '));
  roundTrips.sort((a, b) => a - b);
  const pct = (p: number) => roundTrips[Math.min(roundTrips.length - 1, Math.floor(p * roundTrips.length))]!.toFixed(1);
  line('send round trip p50 / p99 / max', `${pct(0.5)} / ${pct(0.99)} / ${roundTrips[roundTrips.length - 1]!.toFixed(1)} ms`);
  const firstToLast = fake.requests[fake.requests.length - 1]!.t - fake.requests[0]!.t;
  line('first to last request', `${(firstToLast / 1000).toFixed(2)} s (first after ${fake.requests[0]!.at - startedAt} ms)`);
  line('wall time', `${(wallMs / 1000).toFixed(2)} s`);
  line('floor the limits allow', `${(floorMs / 1000).toFixed(2)} s (${count} / ${global.limit} per ${global.intervalMs / 1000} s; per-conversation windows do not bind at one message each)`);
  line('wall / floor', (wallMs / floorMs).toFixed(3));
  for (const f of failed.slice(0, 5)) if (!f.ok) console.log(`  failed: ${f.error}`);

  const ok = lost === 0 && duplicates === 0;
  console.log(ok ? 'PASS: every conversation got the digest exactly once.' : 'FAIL: some conversations got no digest or got it twice.');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`The benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
