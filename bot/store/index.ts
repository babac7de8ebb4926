// The one place that turns the store setting (PIM_STORE and friends, validated in config.ts) into
// a BotStore. The composition root and `npm run store:copy` both open stores here.
import type { TokenCredential } from '@azure/identity';
import type { StoreConfig } from '../config';
import type { Clock } from '../security/clock';
import { openSqliteStore } from './sqlite';
import { openTableStore, type TableBotStore } from './table';
import type { BotStore } from './types';

export interface OpenStoreOptions {
  /** DATA_DIR, for SQLite. */
  dataDir: string;
  /** The bot's Azure credential (the object the ARM clients use), for PIM_TABLE_URL. */
  credential?: TokenCredential;
  clock?: Clock;
  /** Told when a background sweep of expired rows failed (Table Storage; it is tried again later). */
  onSweepError?: (err: Error) => void;
}

export async function openStore(store: StoreConfig, opts: OpenStoreOptions): Promise<BotStore> {
  if (store.kind === 'sqlite') return openSqliteStore({ dataDir: opts.dataDir, ...(opts.clock ? { clock: opts.clock } : {}) });
  return openTable(store, opts);
}

/** The Table Storage store a table setting names (`store:copy` needs its copyIn, beyond BotStore). */
export async function openTable(store: Extract<StoreConfig, { kind: 'table' }>, opts: Omit<OpenStoreOptions, 'dataDir'>): Promise<TableBotStore> {
  const common = { prefix: store.prefix, ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.onSweepError ? { onSweepError: opts.onSweepError } : {}) };
  if ('connectionString' in store) return openTableStore({ ...common, connection: { connectionString: store.connectionString } });
  if (!opts.credential) throw new Error('PIM_TABLE_URL needs the bot\'s Azure credential, and none was given; set PIM_CREDENTIAL to managedIdentity or default.');
  return openTableStore({ ...common, connection: { url: store.url, credential: opts.credential } });
}

/** Where the state lives, for logs: never a key or connection string. */
export function describeStore(store: StoreConfig, dataDir: string): string {
  if (store.kind === 'sqlite') return `SQLite in ${dataDir}`;
  return 'url' in store ? `Table Storage at ${store.url} (tables ${store.prefix}*)` : `Table Storage from AZURE_STORAGE_CONNECTION_STRING (tables ${store.prefix}*)`;
}
