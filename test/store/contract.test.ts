// The BotStore contract (contract.ts), run against every backend: SQLite files in a temporary
// folder, and Table Storage on Azurite started here, in memory, on a random loopback port.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../bot/store/sqlite';
import { openTableStore } from '../../bot/store/table';
import { startAzurite, uniqueTablePrefix, type Azurite } from '../helpers/azurite';
import { botStoreContract } from './contract';

let dir: string | undefined;
let file = '';
botStoreContract({
  name: 'SQLite',
  // better-sqlite3 answers synchronously, so the two instances' calls take turns: a few rounds say all.
  raceRounds: 5,
  async fresh() {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-contract-'));
    file = path.join(dir, 'bot.sqlite');
  },
  async open(opts) {
    return openSqliteStore({ file, ...opts });
  },
  async tearDown() {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  },
});

let azurite: Azurite | undefined;
let prefix = '';
botStoreContract({
  name: 'Table Storage (Azurite)',
  raceRounds: 20,
  async setUp() {
    azurite = await startAzurite();
  },
  async tearDown() {
    await azurite?.close();
  },
  async fresh() {
    prefix = uniqueTablePrefix();
  },
  async open(opts) {
    return openTableStore({ connection: { connectionString: azurite!.connectionString }, prefix, ...opts });
  },
});
