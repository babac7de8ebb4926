// `npm run store:copy -- --from sqlite --to table`: moves a single instance's state (DATA_DIR) into
// Table Storage, so a team that started with one instance can run several without losing its
// history. It reads the same settings as the bot (environment or .env): DATA_DIR for the source,
// PIM_TABLE_URL or AZURE_STORAGE_CONNECTION_STRING and PIM_TABLE_PREFIX for the target.
//
// Idempotent: every row is written insert-once under a key taken from the source, so a copy run
// again (after an interruption, or to be sure) writes nothing twice and says how much was there.
// Stop the bot before copying: what it does meanwhile stays in SQLite.
import fs from 'node:fs';
import path from 'node:path';
import { createCredential } from '../azure/credentials';
import { ConfigError, loadStoreSettings } from '../config';
import { describeStore, openTable } from '.';
import { DEFAULT_DB_FILE, openSqliteStore } from './sqlite';
import type { CopyReport } from './types';

const USAGE = 'Usage: npm run store:copy -- --from sqlite --to table';

/** Why the arguments cannot be used, or undefined. */
export function copyArgumentsProblem(argv: readonly string[]): string | undefined {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i < 0 ? undefined : argv[i + 1];
  };
  const from = value('from');
  const to = value('to');
  if (from === undefined || to === undefined) return `Say where from and where to. ${USAGE}`;
  if (from !== 'sqlite' || to !== 'table') return `Only a copy from sqlite to table is supported, not from ${from} to ${to}. ${USAGE}`;
  const unknown = argv.filter((a, i) => a.startsWith('--') && !['--from', '--to'].includes(a) && argv[i - 1] !== '--from' && argv[i - 1] !== '--to');
  if (unknown.length) return `Unknown option ${unknown[0]}. ${USAGE}`;
  return undefined;
}

export interface CopyOutcome {
  source: string;
  target: string;
  report: CopyReport;
}

/** Copies DATA_DIR's SQLite store into the Table Storage the environment names. */
export async function copySqliteToTable(env: Record<string, string | undefined>, cwd = process.cwd()): Promise<CopyOutcome> {
  const settings = loadStoreSettings({ ...env, PIM_STORE: 'table' }, { cwd });
  if (settings.store.kind !== 'table') throw new Error('unreachable: PIM_STORE is table here');
  const file = path.join(settings.dataDir, DEFAULT_DB_FILE);
  if (!fs.existsSync(file)) throw new ConfigError('DATA_DIR', `has no bot database (${file}); point DATA_DIR at the folder the bot ran with.`);
  const source = openSqliteStore({ dataDir: settings.dataDir });
  try {
    const contents = source.readContents();
    const credential = 'url' in settings.store ? createCredential({ mode: settings.arm.credentialMode, clientId: settings.arm.clientId, endpoint: settings.arm.endpoint }) : undefined;
    const target = await openTable(settings.store, credential ? { credential } : {});
    try {
      return { source: describeStore({ kind: 'sqlite' }, settings.dataDir), target: describeStore(settings.store, settings.dataDir), report: await target.copyIn(contents) };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

const LABELS: Record<keyof CopyReport, string> = {
  secrets: 'signing key and other secrets',
  audit: 'audit entries',
  conversations: 'conversation references',
  subscriptions: 'subscriptions',
  pendingOperations: 'refreshes not yet reported',
  claims: 'action claims still in force',
  nonces: 'used button nonces still in force',
};

export function formatReport(outcome: CopyOutcome): string {
  const lines = [`Copied ${outcome.source} to ${outcome.target}.`];
  for (const [kind, label] of Object.entries(LABELS) as Array<[keyof CopyReport, string]>) {
    const r = outcome.report[kind];
    lines.push(`${label.padEnd(36)} ${String(r.copied).padStart(6)} copied, ${String(r.present).padStart(6)} already there`);
  }
  lines.push('Start every instance with PIM_STORE=table and the same table settings.');
  return lines.join('\n');
}

async function main(): Promise<number> {
  const problem = copyArgumentsProblem(process.argv.slice(2));
  if (problem) {
    console.error(problem);
    return 2;
  }
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  try {
    console.log(formatReport(await copySqliteToTable(process.env)));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      return 2;
    }
    console.error(`The copy failed: ${err instanceof Error ? err.message : String(err)} Run it again once fixed: rows already copied are skipped.`);
    return 1;
  }
}

if (require.main === module) {
  main().then((code) => process.exit(code));
}
