// Benchmark: one scheduled digest run to 1,000 subscribed conversations along the path production
// takes. The in-process PIM simulator is ARM, read by the real PimAlertsClient (credential `none`
// on loopback); a real SQLite store in a temporary DATA_DIR holds the conversation references and
// subscriptions, all due at one instant in different time zones; the real digest scheduler runs
// that instant once (runDue, no timers), reading each scope once, composing each subscription's
// digest card and handing it to createDelivery over the real botbuilder CloudAdapter (no app id: no
// token, loopback only). The fake Bot Connector enforces Teams' PUBLISHED limits (per conversation
// 7/1 s, 8/2 s, 60/30 s, 1800/h; per tenant 50/s) and fails 1 % of requests with a 502/503/504.
// Prints what was delivered, lost and duplicated, the 429s, the ARM reads, the run's outcomes, the
// card sizes and the wall time against the floor the limits allow.
//
//   npm run bench:digest        ("bench:digest": "tsx bench/digest.ts")
//   options: --conversations N (default 1000)  --failure-share F (default 0.01)
//            --arm-latency-ms N (default 100: the simulator's delay on every ARM answer)
//            --instances N (default 1: SQLite, one instance; 2 or more: Table Storage on Azurite)
//            --json (also print one RESULT line for bench/all.ts)
// With --instances N (N >= 2) the same run is made by N instances at once, each with its own
// store client, ARM and Graph clients, CloudAdapter, delivery and scheduler, on one Table Storage
// (Azurite, started here in memory on loopback): they claim the runs between them and share one
// Teams budget through the store (bot/delivery/budget.ts), as instances of a scaled-out web app
// do. It also counts the requests to Table Storage (what an account bills as transactions).
// Exit 0 when every conversation got its digest exactly once, within Teams' limits, and each
// instance read each scope at most once; 1 when not; 2 when the benchmark itself crashed or ran
// past its time limit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { MAX_CARD_CHARS, cardChars } from '../cards';
import { createAzureClients, readArmConfig } from '../bot/azure';
import type { ServiceDeps } from '../bot/core/deps';
import { DEFAULT_READ_POLICY, createReadThrough } from '../bot/core/reader';
import {
  createBotFrameworkSender,
  createDelivery,
  createSharedBudget,
  TEAMS_DELIVERY_LIMITS,
  TEAMS_GLOBAL_WINDOW,
  TEAMS_GLOBAL_WINDOWS,
  TEAMS_PER_CONVERSATION_WINDOWS,
  type SharedBudget,
} from '../bot/delivery';
import { createDigestScheduler, type RunOutcome, type RunReport } from '../bot/digest/scheduler';
import { scopeKey } from '../bot/core/reader';
import { silentLogger } from '../bot/log';
import { createAuthorizer } from '../bot/security/authorizer';
import { createActionSigner, loadOrCreateSecret } from '../bot/security/signing';
import { openSqliteStore } from '../bot/store/sqlite';
import { openTableStore } from '../bot/store/table';
import type { BotStore } from '../bot/store/types';
import { startSimulator } from '../sim/server';
import { peakWindowCounts, startFakeConnector, type StoredActivity } from '../test/fakes/connector';
import { startAzurite, uniqueTablePrefix } from '../test/helpers/azurite';
import { RUN_INSTANT, references, subscriptions } from './population';
import { option, printResult } from './common';

/** The digest run is stopped after this; the process gives up this much later if it still hangs. */
const RUN_LIMIT_MS = 90_000;
const EXIT_GRACE_MS = 10_000;


const LIST_ALERTS = /^\/(.+)\/providers\/Microsoft\.Authorization\/roleManagementAlerts\?/i;
/** The directory's alerts come from Microsoft Graph (the simulator serves both). */
const GRAPH_LIST_ALERTS = /^\/beta\/identityGovernance\/roleManagementAlerts\/alerts\?/i;
const isListRead = (url: string) => LIST_ALERTS.test(url) || GRAPH_LIST_ALERTS.test(url);
const scopeOfListRead = (url: string) => (GRAPH_LIST_ALERTS.test(url) ? 'directory' : decodeURIComponent(LIST_ALERTS.exec(url)![1]!));

/** Runs `fn` over `items`, `n` at a time (writes to a remote store). */
async function inPool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

async function main(): Promise<number> {
  const count = Math.floor(option('conversations', 1000));
  const failureShare = option('failure-share', 0.01);
  const armLatencyMs = option('arm-latency-ms', 100);
  const instanceCount = Math.floor(option('instances', 1));
  if (count < 1) throw new Error('--conversations needs at least 1.');
  if (instanceCount < 1 || instanceCount > 8) throw new Error('--instances needs 1 to 8.');
  const onTable = instanceCount > 1;

  // The run happens "at" RUN_INSTANT: the virtual clock starts there and moves with real time, so
  // the cards, the store's times and the signed buttons' expiry look as they would on the day.
  const perfBase = performance.now();
  const clock = { now: () => RUN_INSTANT + Math.round(performance.now() - perfBase) };

  const listTimes: number[] = [];
  const marks = { claims: [] as number[], completions: [] as number[] };
  const sim = await startSimulator({ faults: { latencyMs: armLatencyMs }, onRequest: (r) => isListRead(r.url) && listTimes.push(performance.now()) });
  const fake = await startFakeConnector({
    perConversation: TEAMS_PER_CONVERSATION_WINDOWS,
    global: TEAMS_GLOBAL_WINDOWS,
    failures: { share: failureShare, statuses: [502, 503, 504], seed: 20240901 },
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bench-digest-'));
  // Removed on any exit, the time-limit ones included.
  process.on('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const cleanups: Array<() => Promise<unknown>> = [() => sim.close(), () => fake.close()];
  // One SQLite file for one instance; Table Storage on Azurite, one client per instance, for several.
  const azurite = onTable ? await startAzurite() : undefined;
  if (azurite) cleanups.push(() => azurite.close());
  const prefix = uniqueTablePrefix();
  /** Requests to Table Storage (what an account bills as transactions), counted from the run's start. */
  const tableRequests = { count: 0 };
  const openInstanceStore = async (): Promise<BotStore> => {
    const s = azurite
      ? await openTableStore({ connection: { connectionString: azurite.connectionString }, prefix, clock, onRequest: () => tableRequests.count++ })
      : openSqliteStore({ dataDir, clock });
    cleanups.push(() => s.close());
    return s;
  };

  try {
    const logger = silentLogger();
    const roundTrips: number[] = [];
    const attempts = new Map<string, number>();
    const scopes = sim.scopes.map((s) => ({ scope: s.id, displayName: s.displayName }));

    /** One instance as the composition root (bot/app.ts) builds it; ARM and Graph (the directory scope) are both the simulator. */
    const instance = async (i: number) => {
      const store = await openInstanceStore();
      const owner = `bench:digest:${i}`;
      const arm = createAzureClients({ ...readArmConfig({ ARM_ENDPOINT: sim.url, PIM_CREDENTIAL: 'none' }), graphEndpoint: sim.url });
      const deps: ServiceDeps = {
        config: {
          mode: 'azure',
          timeZone: 'UTC',
          authz: { mode: 'rbac', operators: [], allowedTenants: 'any', cacheTtlMs: 60_000 },
          pollDeadlineMs: 15 * 60_000,
        },
        scopes,
        api: createReadThrough(arm.alerts, DEFAULT_READ_POLICY, clock),
        signer: createActionSigner({ secret: await loadOrCreateSecret(store), clock }),
        authorizer: createAuthorizer({ mode: 'rbac', rbac: arm.rbac, clock }),
        // The real store, with the times of the run's claims and completions noted on the way through.
        store: new Proxy(store, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver) as unknown;
            if (typeof value !== 'function') return value;
            const times = prop === 'claimDigestRun' ? marks.claims : prop === 'completeDigestRun' ? marks.completions : undefined;
            return (...args: unknown[]) => {
              times?.push(performance.now());
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }),
        clock,
        logger,
      };
      const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
      adapter.onTurnError = async (_context, error) => {
        console.error(`onTurnError was called, which delivery should never cause: ${String(error)}`);
      };
      const sender = createBotFrameworkSender(adapter, '', { onRetryPolicyNotFound: () => console.error('The connector client retry policy was not found.') });
      // Lease times are compared across instances: wall-clock time, as on real machines.
      const shared: SharedBudget | undefined = onTable ? createSharedBudget({ store, owner, window: TEAMS_GLOBAL_WINDOW, clock: { now: () => Date.now() } }) : undefined;
      const delivery = createDelivery({
        send: async (ref, act) => {
          const t = performance.now();
          attempts.set(ref.conversation.id, (attempts.get(ref.conversation.id) ?? 0) + 1);
          try {
            return await sender(ref, act);
          } finally {
            roundTrips.push(performance.now() - t);
          }
        },
        logger,
        ...(shared ? { shared } : {}),
      });
      const digests = createDigestScheduler({ deps, deliver: (ref, activity) => delivery.deliver(ref, activity), clock, logger, owner, ...(onTable ? { claimConcurrency: 16 } : {}) });
      cleanups.unshift(async () => {
        await digests.stop();
        await delivery.stop();
        await shared?.stop();
      });
      return { store, digests, delivery, shared };
    };
    const instances: Array<Awaited<ReturnType<typeof instance>>> = [];
    for (let i = 0; i < instanceCount; i++) instances.push(await instance(i));
    const store = instances[0]!.store;

    // What `subscribe` leaves behind in 1,000 conversations, written through the store.
    const setupStarted = performance.now();
    const refs = references(fake.url, count);
    const subs = subscriptions(refs, scopes.map((s) => s.scope));
    const storedAt = new Date(RUN_INSTANT - 20 * 60 * 60_000).toISOString();
    await inPool(refs, 32, (ref) => store.upsertConversation(ref, storedAt));
    await inPool(subs, 32, (sub) => store.addSubscription(sub));
    // As start() does, minus its immediate tick: the run below is the one under test.
    const stored = await store.listSubscriptions({ enabledOnly: true });
    for (const { digests } of instances) {
      for (const sub of stored) digests.schedule(sub);
      const notDue = stored.filter((s) => digests.nextRunOf(s.id)?.getTime() !== RUN_INSTANT);
      if (notDue.length > 0) throw new Error(`${notDue.length} subscriptions are not due at ${new Date(RUN_INSTANT).toISOString()}; the population is wrong.`);
    }
    const setupMs = performance.now() - setupStarted;
    const distinctScopes = new Set(subs.flatMap((s) => (s.scopes.length === 0 ? scopes.map((c) => c.scope) : s.scopes)).map(scopeKey));

    const simRequestsBefore = sim.requests.length;
    let timedOut = false;
    const guard = setTimeout(() => {
      timedOut = true;
      console.error(`The digest run did not finish within ${RUN_LIMIT_MS / 1000} s; stopping it.`);
      for (const { digests, delivery } of instances) {
        void digests.stop();
        void delivery.stop();
      }
      setTimeout(() => {
        console.error('The benchmark did not stop after its time limit; exiting.');
        process.exit(2);
      }, EXIT_GRACE_MS).unref();
    }, RUN_LIMIT_MS);
    tableRequests.count = 0;
    const started = performance.now();
    const startedAt = Date.now();
    const reports: RunReport[] = await Promise.all(instances.map(({ digests }) => digests.runDue(RUN_INSTANT)));
    const wallMs = performance.now() - started;
    // What is still to come of the run: each instance gives its budget slices back.
    for (const { shared } of instances) await shared?.stop();
    const runTableRequests = tableRequests.count;
    const report: RunReport = { runs: reports.flatMap((r) => r.runs), scopesRead: reports.reduce((n, r) => n + r.scopesRead, 0) };
    const sentBy = reports.map((r) => r.runs.filter((x) => x.outcome === 'sent').length);
    const readers = reports.filter((r) => r.scopesRead > 0).length;
    clearTimeout(guard);
    if (timedOut) return 2;

    // The simulator keeps its last 1000 requests; a run this size makes a handful.
    const runRequests = sim.requests.slice(Math.min(simRequestsBefore, sim.requests.length));
    const listReads = runRequests.filter((r) => r.method === 'GET' && isListRead(r.url));
    const firstPages = listReads.filter((r) => !/[?&]\$skipToken=/i.test(r.url));
    const scopesReadFromArm = new Set(firstPages.map((r) => scopeKey(scopeOfListRead(r.url))));

    const deliveredActivities = fake.allDelivered();
    const perConversation = new Map<string, StoredActivity[]>();
    for (const a of deliveredActivities) perConversation.set(a.conversationId, [...(perConversation.get(a.conversationId) ?? []), a]);
    const distinct = refs.filter((r) => perConversation.has(r.conversation.id)).length;
    const duplicates = [...perConversation.values()].reduce((n, list) => n + (list.length - 1), 0);
    const lost = count - distinct;
    const outcomes = new Map<RunOutcome, number>();
    for (const r of report.runs) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
    const sent = outcomes.get('sent') ?? 0;
    const retries = [...attempts.values()].reduce((n, a) => n + a - 1, 0);
    const attemptsHistogram = new Map<number, number>();
    for (const a of attempts.values()) attemptsHistogram.set(a, (attemptsHistogram.get(a) ?? 0) + 1);
    const cardSizes = deliveredActivities.map((a) => {
      const content = (a.activity.attachments as Array<{ content: unknown }> | undefined)?.[0]?.content;
      return { bytes: Buffer.byteLength(JSON.stringify(content ?? {})), chars: cardChars(content ?? {}), activity: Buffer.byteLength(JSON.stringify(a.activity)) };
    });
    const global = TEAMS_DELIVERY_LIMITS.global;
    const floorMs = (count / global.limit) * global.intervalMs;
    const accepted = fake.requests.filter((r) => r.status !== 429).length;
    const peaksGlobal = peakWindowCounts(fake.requests, TEAMS_GLOBAL_WINDOWS, () => 'tenant');
    const peaksConversation = peakWindowCounts(fake.requests, TEAMS_PER_CONVERSATION_WINDOWS);

    const line = (label: string, value: string | number) => console.log(`${label.padEnd(38)} ${value}`);
    console.log(
      onTable
        ? `Digest run benchmark, ${instanceCount} instances: simulator ARM and Graph -> clients -> Table Storage (Azurite) -> digest schedulers -> createDelivery with the shared Teams budget -> CloudAdapter -> fake connector (published Teams limits)`
        : 'Digest run benchmark: simulator ARM and Graph -> clients -> SQLite store -> digest scheduler -> createDelivery -> CloudAdapter -> fake connector (published Teams limits)',
    );
    line('conversations / subscriptions', `${count} / ${subs.length} (due ${new Date(RUN_INSTANT).toISOString()}, set up in ${(setupMs / 1000).toFixed(2)} s)`);
    if (onTable) {
      line('instances / sent by each', `${instanceCount} / ${sentBy.join(' + ')}`);
      line('Table Storage requests in the run', `${runTableRequests} (${(runTableRequests / count).toFixed(1)} per digest, the shared budget's included; the sweep's later moves of finished runs not)`);
    }
    line('scopes read from ARM or Graph in the run', `${scopesReadFromArm.size} (${firstPages.length} list reads, ${listReads.length} pages, by ${readers} instance${readers === 1 ? '' : 's'}; ${distinctScopes.size} distinct scopes subscribed; schedulers say ${report.scopesRead})`);
    line('run outcomes', [...outcomes.entries()].map(([o, n]) => `${o} ${n}`).join(', ') || 'none');
    if (cardSizes.length > 0) {
      const bytes = cardSizes.map((c) => c.bytes);
      line(
        'digest card size min / median / max',
        `${kb(Math.min(...bytes))} / ${kb(median(bytes))} / ${kb(Math.max(...bytes))} (largest ${Math.max(...cardSizes.map((c) => c.chars))} of ${MAX_CARD_CHARS} chars; activity max ${kb(Math.max(...cardSizes.map((c) => c.activity)))})`,
      );
    }
    line('messages delivered', deliveredActivities.length);
    line('distinct conversations reached', distinct);
    line('duplicates (same conversation twice)', duplicates);
    line('lost (expected - delivered distinct)', lost);
    line('429s received', fake.counts.throttled);
    line('5xx injected', `${fake.counts.injected} (share ${failureShare})`);
    line('retries made', retries);
    line('attempts per message', [...attemptsHistogram.entries()].sort((a, b) => a[0] - b[0]).map(([a, n]) => `${a}x${n}`).join(' '));
    line('requests reaching the connector', `${fake.requests.length} (${accepted} admitted)`);
    line('peak per-tenant window', peaksGlobal.map((p) => `${p.peak}/${p.window.limit} per ${p.window.intervalMs / 1000} s`).join(', '));
    line('peak per-conversation windows', peaksConversation.map((p) => `${p.peak}/${p.window.limit} per ${p.window.intervalMs / 1000} s`).join(', '));
    if (roundTrips.length > 0) {
      roundTrips.sort((a, b) => a - b);
      const pct = (p: number) => roundTrips[Math.min(roundTrips.length - 1, Math.floor(p * roundTrips.length))]!.toFixed(1);
      line('send round trip p50 / p99 / max', `${pct(0.5)} / ${pct(0.99)} / ${roundTrips[roundTrips.length - 1]!.toFixed(1)} ms`);
    }
    const since = (t: number | undefined) => (t === undefined ? '?' : `${((t - started) / 1000).toFixed(2)} s`);
    const connectorFirst = fake.requests[0] ? fake.requests[0].at - startedAt : undefined;
    line(
      'run timeline (from runDue)',
      `claims done ${since(marks.claims.at(-1))}, ARM reads done ${since(listTimes.length ? Math.max(...listTimes) : undefined)}, first send ${connectorFirst === undefined ? '?' : `${(connectorFirst / 1000).toFixed(2)} s`}, last completion ${since(marks.completions.at(-1))}`,
    );
    let spanMs: number | undefined;
    if (fake.requests.length > 0) {
      spanMs = fake.requests[fake.requests.length - 1]!.t - fake.requests[0]!.t;
      line('first to last connector request', `${(spanMs / 1000).toFixed(2)} s`);
    }
    line('wall time (runDue)', `${(wallMs / 1000).toFixed(2)} s`);
    line('floor the limits allow', `${(floorMs / 1000).toFixed(2)} s (${count} / ${global.limit} per ${global.intervalMs / 1000} s; per-conversation windows do not bind at one message each)`);
    line('wall / floor', `${(wallMs / floorMs).toFixed(3)}${spanMs === undefined ? '' : ` (sending alone ${(spanMs / floorMs).toFixed(3)})`}`);
    // A run the other instance claimed is the sharing working, not a problem to show.
    for (const r of report.runs.filter((x) => x.outcome !== 'sent' && x.outcome !== 'claimedElsewhere').slice(0, 5)) console.log(`  ${r.outcome}: ${r.conversationId} ${r.reason ?? ''}`);

    const problems: string[] = [];
    if (lost > 0) problems.push(`${lost} conversations got no digest`);
    if (duplicates > 0) problems.push(`${duplicates} digests were delivered twice`);
    if (sent !== subs.length) problems.push(`${subs.length - sent} subscriptions were not sent`);
    if (fake.counts.throttled > 0) problems.push(`Teams answered 429 ${fake.counts.throttled} times`);
    if (firstPages.length !== distinctScopes.size * readers || report.scopesRead !== distinctScopes.size * readers) {
      problems.push(`the scopes were read ${firstPages.length} times for ${distinctScopes.size} scopes and ${readers} instances, not once per scope per instance`);
    }
    console.log(
      problems.length === 0
        ? `PASS: every conversation got its digest exactly once, within Teams' limits, from one read per scope${onTable ? ' per instance' : ''}.`
        : `FAIL: ${problems.join('; ')}.`,
    );
    // What the process holds once the run is over: the store, the caches and 1,000 conversations' state.
    const rssBytes = process.memoryUsage().rss;
    line('RSS after the run', `${(rssBytes / 1024 / 1024).toFixed(0)} MB`);
    printResult('digest', { conversations: count, instances: instanceCount, delivered: distinct, lost, duplicates, throttled: fake.counts.throttled, retries, wallMs, floorMs, ratio: wallMs / floorMs, rssBytes, pass: problems.length === 0 });
    return problems.length === 0 ? 0 : 1;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => console.error(`Cleaning up failed: ${err instanceof Error ? err.message : String(err)}`));
  }
}

// The whole benchmark, set-up included, must end by itself well inside two minutes.
setTimeout(() => {
  console.error(`The benchmark did not end within ${(RUN_LIMIT_MS + 2 * EXIT_GRACE_MS) / 1000} s; exiting.`);
  process.exit(2);
}, RUN_LIMIT_MS + 2 * EXIT_GRACE_MS).unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`The benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
