// The composition root: the one place that builds real things (ARM and Graph clients, store,
// signer, authorizer, Bot Framework adapter, HTTP server) from the validated configuration and wires
// them together. Tests call createApp with a test configuration and optional overrides instead of
// patching modules.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createTeamsEdgeAdapter, type TeamsEdgeAdapter } from './edge/adapter';
import type restify from 'restify';
import type { DirectoryRolesApi, PimAlertsApi, RbacApi } from './azure/api';
import { createAzureClients, createCredential } from './azure';
import { isDirectoryScope } from './azure/validate';
import type { Config } from './config';
import { cardContextOf, type Clock, type CoreDeps, type ServiceDeps } from './core/deps';
import { createBotCore } from './core/router';
import { createRefusalBudget } from './core/audit';
import { createReadThrough } from './core/reader';
import { createHttpServer } from './edge/server';
import { drainOnClose } from './edge/drain';
import type { BotCore } from './core/turn';
import { PimTeamsBot } from './edge/teamsBot';
import { buildErrorCard } from '../cards';
import { createLogger, type Logger } from './log';
import { createActionSigner, loadOrCreateSecret } from './security/signing';
import { createAuthorizer } from './security/authorizer';
import { describeStore, openStore } from './store';
import type { BotStore } from './store/types';
import { createHandlers } from './handlers';
import { createProactive, type Proactive } from './edge/proactive';
import { createOperationTracker, type OperationTracker, type TrackerOptions } from './background/operations';
import { createBotFrameworkSender, createBotFrameworkUpdater, createDelivery, createSharedBudget, TEAMS_GLOBAL_WINDOW } from './delivery';
import { createDigestScheduler, type DigestService } from './digest/scheduler';
import { noTelemetry, type Telemetry } from './telemetry';

export interface AppOverrides {
  logger?: Logger;
  /** Every scope's PIM alerts (replaces both the ARM and the Graph client). */
  api?: PimAlertsApi;
  rbac?: RbacApi;
  directoryRoles?: DirectoryRolesApi;
  store?: BotStore;
  clock?: Clock;
  /** Default: none (nothing is recorded). */
  telemetry?: Telemetry;
  /** Extra options for the ARM and Graph clients (e.g. a fast poll interval in tests). */
  armOptions?: Parameters<typeof createAzureClients>[1];
  /** Extra options for the refresh tracker (e.g. short backoffs in tests). */
  operations?: Partial<Pick<TrackerOptions, 'pollRetry' | 'reportRetry' | 'reportGiveUpMs' | 'sweepMs' | 'sleep' | 'random'>>;
}

export interface App {
  config: Config;
  deps: CoreDeps;
  core: BotCore;
  adapter: TeamsEdgeAdapter;
  server: restify.Server;
  proactive: Proactive;
  operations: OperationTracker;
  digests: DigestService;
  listen(): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

/** Digest runs claimed at once when the store is remote. */
const TABLE_CLAIM_CONCURRENCY = 16;

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const clock: Clock = overrides.clock ?? { now: () => Date.now() };
  const telemetry = overrides.telemetry ?? noTelemetry;

  // Graph is only needed (and only given a token) when the directory is watched.
  const watchesDirectory = config.scopes.some((s) => isDirectoryScope(s.scope));
  const azure =
    overrides.api && overrides.rbac && (overrides.directoryRoles || !watchesDirectory)
      ? undefined
      : createAzureClients(
          {
            endpoint: config.arm.endpoint,
            credentialMode: config.arm.credential,
            clientId: config.arm.clientId,
            ...(watchesDirectory ? { graphEndpoint: config.graph.endpoint } : {}),
          },
          { pollDeadlineMs: config.pollDeadlineMs, ...overrides.armOptions },
        );
  // Every reader (commands, buttons, digests, refresh reports) reads through the one read policy.
  const api = createReadThrough(overrides.api ?? azure!.alerts, config.reads, clock);
  const rbac = overrides.rbac ?? azure!.rbac;
  const directoryRoles = overrides.directoryRoles ?? azure?.directoryRoles;

  const store =
    overrides.store ??
    (await openStore(config.store, {
      dataDir: config.dataDir,
      // Table Storage signs in as the bot, with the very credential object ARM uses.
      credential: azure
        ? azure.credential
        : config.store.kind === 'table' && 'url' in config.store
          ? createCredential({ mode: config.arm.credential, clientId: config.arm.clientId, endpoint: config.arm.endpoint })
          : undefined,
      clock,
      onSweepError: (err) => logger.warn({ err: { message: err.message } }, 'sweeping expired rows from the store failed; it is tried again later'),
    }));
  if (!overrides.store) logger.info({ store: describeStore(config.store, config.dataDir) }, 'store open');
  const secret = await loadOrCreateSecret(store, config.actionSecret);
  const signer = createActionSigner({ secret, ttlMs: config.actionTtlMs, clock });
  const authorizer = createAuthorizer({
    mode: config.authz.mode,
    rbac,
    directory: directoryRoles,
    operators: config.authz.operators,
    cacheTtlMs: config.authz.cacheTtlMs,
    clock,
  });

  const services: ServiceDeps = { config, scopes: config.scopes, api, signer, authorizer, store, clock, logger, refusals: createRefusalBudget({ clock, logger }), telemetry };
  const adapter = createTeamsEdgeAdapter(config.bot, logger, (requestId) => ({
    card: buildErrorCard({ message: 'Something went wrong on my side.', whatToDo: 'Try again in a minute.', requestId }, cardContextOf(services)),
  }));
  // The owner names this process slot in the store's leases and run claims. On a fixed port it is
  // host:port: two live processes cannot listen on one host and port, so a restart may take back
  // at once what its earlier life held. On port 0 the slot is not stable, so it is random.
  const owner = config.port !== 0 ? `${hostname()}:${config.port}` : `${hostname()}:${process.pid}:${randomUUID()}`;
  // With Table Storage several instances may run: they share one Teams budget through the store.
  const shared =
    config.store.kind === 'table'
      ? createSharedBudget({
          store,
          owner,
          window: TEAMS_GLOBAL_WINDOW,
          clock,
          onError: (err) => logger.warn({ err: { message: err.message } }, 'could not reach the store for the shared Teams budget; keeping to the slices held'),
        })
      : undefined;
  // Digests, refresh results and card updates go through the rate-limited, retrying delivery.
  const appId = config.bot.appId ?? '';
  const delivery = createDelivery({
    send: createBotFrameworkSender(adapter, appId),
    update: createBotFrameworkUpdater(adapter, appId),
    logger,
    ...(shared ? { shared } : {}),
  });
  const proactive = createProactive(delivery, logger);
  const operations = createOperationTracker({
    deps: services,
    proactive,
    logger,
    owner,
    leaseMs: config.operationLeaseMs,
    sweepMs: config.operationSweepMs,
    reportGiveUpMs: config.reportGiveUpMs,
    ...overrides.operations,
  });
  const digests = createDigestScheduler({
    deps: services,
    deliver: (ref, activity) => delivery.deliver(ref, activity),
    logger,
    owner,
    tickMs: config.schedulerTickMs,
    // A claim in Table Storage is a few round trips: several at once keep up with Teams' 50 a second.
    claimConcurrency: config.store.kind === 'table' ? TABLE_CLAIM_CONCURRENCY : 1,
  });
  const deps: CoreDeps = {
    ...services,
    background: {
      trackOperation: (id) => operations.track(id),
      async updateCard(ref, id, card) {
        const result = await proactive.updateCard(ref, id, card);
        if (!result.ok) throw new Error(result.error);
      },
    },
    digests,
  };
  const core = createBotCore(deps, createHandlers());
  const bot = new PimTeamsBot(core, logger);

  const server = createHttpServer({
    adapter,
    logic: (context) => bot.run(context),
    logger,
    health: () => ({ mode: config.mode, scopes: config.scopes.length }),
    // Ready while the store answers and the process is not shutting down; ARM and Teams are not
    // asked: an ARM outage must not take every instance out of rotation.
    ready: async () => {
      if (drain.draining) return false;
      await store.ping();
      return true;
    },
    telemetry,
  });
  const drain = drainOnClose(server);

  let closed = false;
  return {
    config,
    deps,
    core,
    adapter,
    server,
    proactive,
    operations,
    digests,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
      // Only now that the port is bound is the owner name this process's alone.
      await operations.start();
      await digests.start();
      return { url: `http://${host}:${port}`, port };
    },
    async close() {
      if (closed) return;
      closed = true;
      // No new requests; the turns in flight run to their answers.
      await drain.close();
      // Polls stop and their leases are handed back, so another process resumes them at once.
      await operations.stop();
      // Stopping delivery cancels retries that are waiting, so the scheduler's stop does not wait for them.
      const digestsStopped = digests.stop();
      await delivery.stop();
      await digestsStopped;
      // Its slices go back at once, each usable by the other instances once its places free up.
      await shared?.stop();
      await store.close();
    },
  };
}
