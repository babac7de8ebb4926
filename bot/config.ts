// Typed, validated configuration from the environment. A bad or missing setting stops start-up
// with one line naming the variable (ConfigError), never a stack trace halfway through a request.
import path from 'node:path';
import { readArmConfig, readGraphEndpoint, type ArmConfig } from './azure/credentials';
import { isDirectoryScope, isLoopbackHostname } from './azure/validate';
import { DEFAULT_TABLE_PREFIX, tablePrefixProblem } from './store/table';

export class ConfigError extends Error {
  readonly code = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type AppType = 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
export type CredentialMode = 'managedIdentity' | 'default' | 'none';
export type AuthzMode = 'rbac' | 'allowlist' | 'everyone';

/**
 * Where the bot keeps its state. `sqlite` (the default) is a file in DATA_DIR for one instance (or
 * several processes on one host); `table` is Azure Table Storage, shared by every instance.
 */
export type StoreConfig =
  | { kind: 'sqlite' }
  /** Table Storage with the bot's Azure credential (the one it uses for ARM). */
  | { kind: 'table'; prefix: string; url: string }
  /** Table Storage through a connection string (Azurite, or an account key). */
  | { kind: 'table'; prefix: string; connectionString: string };

export interface ConfiguredScope {
  /** Normalised ARM scope, no leading slash; or `directory`, the Entra ID directory (Microsoft Graph). */
  scope: string;
  displayName?: string;
}

export interface Config {
  /** 'local' = no Azure configuration: the simulator is the ARM endpoint (set up by main.ts). */
  mode: 'azure' | 'local';
  port: number;
  host: string;
  bot: {
    appId?: string;
    appType: AppType;
    tenantId?: string;
    password?: string;
    allowUnauthenticated: boolean;
    /** OpenID metadata that inbound channel tokens are checked against (default: Azure Bot Service's). */
    openIdMetadata?: string;
  };
  arm: {
    endpoint: string;
    credential: CredentialMode;
    clientId?: string;
  };
  /** Microsoft Graph, for the `directory` scope (same credential as ARM). */
  graph: {
    endpoint: string;
  };
  scopes: ConfiguredScope[];
  /** How ARM is read: bounded per subscription, under a global cap, with a short cache. */
  reads: {
    perSubscription: number;
    inFlight: number;
    cacheMs: number;
  };
  authz: {
    mode: AuthzMode;
    operators: string[];
    allowedTenants: string[] | 'any';
    cacheTtlMs: number;
  };
  actionSecret?: string;
  actionTtlMs: number;
  dataDir: string;
  store: StoreConfig;
  timeZone: string;
  logLevel: string;
  pollDeadlineMs: number;
  /**
   * How long a process's lease on a refresh (polling, then reporting) lasts without renewal. A
   * process that dies holds the refresh this long before another instance takes it over; its own
   * restart on the same host and fixed port takes it back at once.
   */
  operationLeaseMs: number;
  /** How often each process looks for refreshes whose lease has lapsed (another instance died). */
  operationSweepMs: number;
  /** How often the digest scheduler re-reads the subscriptions (other instances change them too); at most a minute. */
  schedulerTickMs: number;
  /** How long after the outcome is known the bot keeps trying to report it to Teams. */
  reportGiveUpMs: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

function bool(env: Env, name: string, dflt: boolean): boolean {
  const v = str(env, name);
  if (v === undefined) return dflt;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new ConfigError(name, `expected true or false, got "${v}".`);
}

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new ConfigError(name, `expected a whole number, got "${v}".`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${n}.`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], dflt: T): T {
  const v = str(env, name);
  if (v === undefined) return dflt;
  const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
  if (!hit) throw new ConfigError(name, `expected one of ${values.join(', ')}, got "${v}".`);
  return hit;
}

function guidList(env: Env, name: string): string[] {
  const v = str(env, name);
  if (!v) return [];
  return v.split(',').map((s) => s.trim()).filter(Boolean).map((id) => {
    if (!GUID.test(id)) throw new ConfigError(name, `"${id}" is not an Entra object or tenant id (a GUID).`);
    return id.toLowerCase();
  });
}

/**
 * PIM_SCOPES is a comma-separated list of ARM scopes and `directory` (the Entra ID directory
 * roles, read from Microsoft Graph), each optionally named:
 * `Contoso Production=subscriptions/<guid>, subscriptions/<guid>/resourceGroups/rg-payments, Entra ID=directory`.
 */
export function parseScopes(
  raw: string,
  normalizeScope: (s: string) => string,
  variable = 'PIM_SCOPES',
): ConfiguredScope[] {
  const out: ConfiguredScope[] = [];
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const displayName = eq > 0 ? part.slice(0, eq).trim() : undefined;
    const scopeText = eq > 0 ? part.slice(eq + 1).trim() : part;
    let scope: string;
    try {
      scope = normalizeScope(scopeText);
    } catch (err) {
      throw new ConfigError(variable, `"${scopeText}" is not a scope the bot accepts (${(err as Error).message})`);
    }
    if (out.some((s) => s.scope.toLowerCase() === scope.toLowerCase())) {
      throw new ConfigError(variable, `"${scope}" is listed twice.`);
    }
    out.push(displayName ? { scope, displayName } : { scope });
  }
  if (out.length === 0) throw new ConfigError(variable, 'no scopes given; list at least one, e.g. subscriptions/<subscription id>.');
  if (out.length > 200) throw new ConfigError(variable, `${out.length} scopes is more than the 200 this bot reads per request.`);
  return out;
}

/** The table endpoint a connection string names (what the SDK would connect to). */
function tableEndpointOf(connectionString: string): URL {
  const parts = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const problem = (why: string) => new ConfigError('AZURE_STORAGE_CONNECTION_STRING', why);
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') return new URL('http://127.0.0.1:10002/devstoreaccount1');
  if (!parts.has('accountkey') && !parts.has('sharedaccesssignature')) {
    throw problem('is not a storage connection string with AccountKey or SharedAccessSignature; copy it from the storage account\'s Access keys, or use UseDevelopmentStorage=true for Azurite.');
  }
  const explicit = parts.get('tableendpoint');
  let endpoint: string;
  if (explicit) endpoint = explicit;
  else {
    const account = parts.get('accountname');
    if (!account) throw problem('names neither TableEndpoint nor AccountName; copy the whole connection string from the storage account.');
    endpoint = `${parts.get('defaultendpointsprotocol') ?? 'https'}://${account}.table.${parts.get('endpointsuffix') ?? 'core.windows.net'}`;
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw problem('has a table endpoint that is not a URL; copy the whole connection string from the storage account.');
  }
  // Plain http only for Azurite on this machine, never a real account.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHostname(url.hostname))) {
    throw problem(`has a plain-http table endpoint on ${url.hostname}; only Azurite on loopback may use http, a storage account needs https.`);
  }
  return url;
}

function readStoreConfig(env: Env, arm: ArmConfig): StoreConfig {
  const kind = oneOf(env, 'PIM_STORE', ['sqlite', 'table'] as const, 'sqlite');
  const url = str(env, 'PIM_TABLE_URL');
  const connectionString = str(env, 'AZURE_STORAGE_CONNECTION_STRING');
  if (kind === 'sqlite') {
    if (url) throw new ConfigError('PIM_TABLE_URL', 'is set but PIM_STORE is sqlite; set PIM_STORE=table to keep the state in Table Storage, or unset PIM_TABLE_URL.');
    return { kind };
  }
  const prefix = str(env, 'PIM_TABLE_PREFIX') ?? DEFAULT_TABLE_PREFIX;
  const prefixProblem = tablePrefixProblem(prefix);
  if (prefixProblem) throw new ConfigError('PIM_TABLE_PREFIX', prefixProblem);
  if (url && connectionString) {
    throw new ConfigError('PIM_TABLE_URL', 'and AZURE_STORAGE_CONNECTION_STRING are both set; set only one (PIM_TABLE_URL uses the bot\'s Azure identity).');
  }
  if (connectionString) {
    tableEndpointOf(connectionString);
    return { kind, prefix, connectionString };
  }
  if (!url) {
    throw new ConfigError('PIM_TABLE_URL', 'is required when PIM_STORE=table: set it to https://<storage account>.table.core.windows.net, or set AZURE_STORAGE_CONNECTION_STRING.');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('PIM_TABLE_URL', `"${url.slice(0, 120)}" is not a URL; set it to https://<storage account>.table.core.windows.net.`);
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password || parsed.search || parsed.hash || (parsed.pathname !== '/' && parsed.pathname !== '')) {
    throw new ConfigError('PIM_TABLE_URL', `must be the account's https table endpoint with nothing after the host, like https://<storage account>.table.core.windows.net (a token is only ever sent over https, and a SAS token does not belong in it).`);
  }
  if (arm.credentialMode === 'none') {
    throw new ConfigError('PIM_TABLE_URL', 'needs the bot\'s Azure credential, but PIM_CREDENTIAL is none; use managedIdentity or default, or AZURE_STORAGE_CONNECTION_STRING for Azurite.');
  }
  return { kind, prefix, url: parsed.origin };
}

export interface LoadOptions {
  normalizeScope: (s: string) => string;
  cwd?: string;
  /** Scopes to use in the local run (the simulator's). */
  localScopes?: ConfiguredScope[];
  /** ARM and Graph endpoint of the local run (the simulator's URL). */
  localEndpoint?: string;
}

/** True when the environment names no Azure scopes: `npm start` then runs everything locally. */
export function isLocalRun(env: Env): boolean {
  return str(env, 'PIM_SCOPES') === undefined;
}

/**
 * The store settings alone (what `npm run store:copy` needs): DATA_DIR, PIM_STORE and the Table
 * Storage settings, checked as loadConfig checks them.
 */
export function loadStoreSettings(env: Env, opts: { cwd?: string } = {}): { dataDir: string; store: StoreConfig; arm: ArmConfig } {
  let arm: ArmConfig;
  try {
    arm = readArmConfig(env);
  } catch (err) {
    throw armConfigError(err);
  }
  return { dataDir: dataDirOf(env, opts.cwd), store: readStoreConfig(env, arm), arm };
}

function dataDirOf(env: Env, cwd?: string): string {
  return path.resolve(cwd ?? process.cwd(), str(env, 'DATA_DIR') ?? 'data');
}

/** The ARM client owns the rules for its endpoint and credential; a violation names the variable. */
function armConfigError(err: unknown): ConfigError {
  const message = (err as Error).message;
  const variable = /PIM_CREDENTIAL|AZURE_CLIENT_ID|ARM_ENDPOINT/.exec(message)?.[0] ?? 'ARM_ENDPOINT';
  return new ConfigError(variable, message.replace(new RegExp(`^${variable}:?\\s*`), ''));
}

export function loadConfig(env: Env, opts: LoadOptions): Config {
  const mode: Config['mode'] = isLocalRun(env) ? 'local' : 'azure';
  const appId = str(env, 'MicrosoftAppId');
  if (appId && !GUID.test(appId)) throw new ConfigError('MicrosoftAppId', `"${appId}" is not a Microsoft app id (a GUID).`);
  const appType = oneOf(env, 'MicrosoftAppType', ['MultiTenant', 'SingleTenant', 'UserAssignedMSI'] as const, 'MultiTenant');
  const tenantId = str(env, 'MicrosoftAppTenantId');
  if (tenantId && !GUID.test(tenantId)) throw new ConfigError('MicrosoftAppTenantId', `"${tenantId}" is not a tenant id (a GUID).`);
  const password = str(env, 'MicrosoftAppPassword');
  if (appId) {
    if (appType !== 'MultiTenant' && !tenantId) throw new ConfigError('MicrosoftAppTenantId', `is required when MicrosoftAppType is ${appType}.`);
    if (appType !== 'UserAssignedMSI' && !password) throw new ConfigError('MicrosoftAppPassword', `is required when MicrosoftAppType is ${appType}.`);
  }
  const allowUnauthenticated = bool(env, 'ALLOW_UNAUTHENTICATED', false);
  const host = str(env, 'HOST') ?? (appId ? '0.0.0.0' : '127.0.0.1');
  if (!appId && !isLoopbackHostname(host) && !allowUnauthenticated) {
    throw new ConfigError(
      'HOST',
      `without MicrosoftAppId the bot does not authenticate callers, so it only listens on loopback; set MicrosoftAppId, or ALLOW_UNAUTHENTICATED=true to listen on ${host} anyway.`,
    );
  }
  const port = int(env, 'PORT', 3978, 0, 65535);

  let arm: ArmConfig;
  try {
    arm = readArmConfig(
      mode === 'local'
        ? { ...env, ARM_ENDPOINT: str(env, 'ARM_ENDPOINT') ?? opts.localEndpoint, PIM_CREDENTIAL: str(env, 'PIM_CREDENTIAL') ?? 'none' }
        : env,
    );
  } catch (err) {
    throw armConfigError(err);
  }

  const scopes =
    mode === 'local'
      ? opts.localScopes ?? []
      : parseScopes(str(env, 'PIM_SCOPES') ?? '', opts.normalizeScope);
  if (scopes.length === 0) throw new ConfigError('PIM_SCOPES', 'no scopes to watch; list at least one ARM scope or directory.');

  // Graph is only called for the directory; its endpoint must then fit the credential like ARM's.
  let graphEndpoint: string;
  try {
    graphEndpoint = readGraphEndpoint(
      mode === 'local' ? { ...env, GRAPH_ENDPOINT: str(env, 'GRAPH_ENDPOINT') ?? opts.localEndpoint } : env,
      arm.credentialMode,
      scopes.some((s) => isDirectoryScope(s.scope)),
    );
  } catch (err) {
    throw new ConfigError('GRAPH_ENDPOINT', (err as Error).message);
  }

  // Retired rather than silently ignored: it bounded all reads at once, which throttled 50
  // subscriptions as if they were one. A deployment that set it is told what replaced it.
  if (str(env, 'PIM_READ_CONCURRENCY') !== undefined) {
    throw new ConfigError(
      'PIM_READ_CONCURRENCY',
      'is retired: reads are now bounded per subscription (PIM_READS_PER_SUBSCRIPTION, default 4) under a global cap (PIM_READS_IN_FLIGHT, default 64); remove it.',
    );
  }

  const authzMode = oneOf(env, 'PIM_AUTHZ', ['rbac', 'allowlist', 'everyone'] as const, 'rbac');
  if (authzMode === 'everyone' && mode !== 'local') {
    throw new ConfigError('PIM_AUTHZ', 'everyone is only allowed in the local run; use rbac or allowlist with Azure.');
  }
  const operators = guidList(env, 'PIM_OPERATORS');
  if (authzMode === 'allowlist' && operators.length === 0) {
    throw new ConfigError('PIM_OPERATORS', 'is required when PIM_AUTHZ=allowlist: list the Entra object ids allowed to act.');
  }
  let allowedTenants: string[] | 'any' = guidList(env, 'PIM_ALLOWED_TENANTS');
  if (allowedTenants.length === 0) {
    if (tenantId) allowedTenants = [tenantId.toLowerCase()];
    else if (mode === 'local') allowedTenants = 'any';
    else throw new ConfigError('PIM_ALLOWED_TENANTS', 'is required (or MicrosoftAppTenantId): list the tenant ids whose people may use the bot.');
  }

  const actionSecret = str(env, 'PIM_ACTION_SECRET');
  if (actionSecret && actionSecret.length < 32) throw new ConfigError('PIM_ACTION_SECRET', 'must be at least 32 characters; generate one with `openssl rand -base64 48`.');

  const timeZone = str(env, 'PIM_TIME_ZONE') ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
  } catch {
    throw new ConfigError('PIM_TIME_ZONE', `"${timeZone}" is not an IANA time zone such as Europe/Berlin.`);
  }
  const logLevel = oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info');

  return {
    mode,
    port,
    host,
    bot: { appId, appType, tenantId, password, allowUnauthenticated, openIdMetadata: str(env, 'BotOpenIdMetadata') },
    arm: { endpoint: arm.endpoint, credential: arm.credentialMode, clientId: arm.clientId },
    graph: { endpoint: graphEndpoint },
    scopes,
    reads: {
      perSubscription: int(env, 'PIM_READS_PER_SUBSCRIPTION', 4, 1, 64),
      inFlight: int(env, 'PIM_READS_IN_FLIGHT', 64, 1, 1000),
      cacheMs: int(env, 'PIM_READ_CACHE_SECONDS', 30, 0, 3600) * 1000,
    },
    authz: { mode: authzMode, operators, allowedTenants, cacheTtlMs: int(env, 'PIM_AUTHZ_CACHE_SECONDS', 300, 0, 3600) * 1000 },
    actionSecret,
    actionTtlMs: int(env, 'PIM_ACTION_TTL_HOURS', 168, 1, 24 * 90) * 3600_000,
    dataDir: dataDirOf(env, opts.cwd),
    store: readStoreConfig(env, arm),
    timeZone,
    logLevel,
    pollDeadlineMs: int(env, 'PIM_REFRESH_DEADLINE_MINUTES', 30, 1, 24 * 60) * 60_000,
    operationLeaseMs: int(env, 'PIM_OPERATION_LEASE_SECONDS', 60, 5, 3600) * 1000,
    operationSweepMs: int(env, 'PIM_OPERATION_SWEEP_SECONDS', 30, 1, 3600) * 1000,
    schedulerTickMs: int(env, 'PIM_SCHEDULER_TICK_SECONDS', 60, 1, 60) * 1000,
    reportGiveUpMs: int(env, 'PIM_REFRESH_REPORT_GIVE_UP_HOURS', 24, 1, 24 * 7) * 3600_000,
  };
}
