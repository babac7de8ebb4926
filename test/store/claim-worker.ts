// A separate bot process for the store's cross-process test: it opens the shared database file,
// waits for the parent's "go" so both processes race together, then claims every key and takes
// every operation through its steps (lease, polling, outcome, task, finish), and sends back what
// it won. The second process
// walks the lists backwards so the two meet in the middle and really contend there.
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../../bot/store/sqlite';

interface Go {
  reverse: boolean;
  name: string;
  keys: string[];
  operations: string[];
  at: string;
}

const store = openSqliteStore({ file: process.argv[2]! });

process.once('message', async (msg: Go) => {
  const claims: Record<string, string> = {};
  const leased: string[] = [];
  const outcomes: string[] = [];
  const reported: string[] = [];
  const order = msg.keys.map((_, i) => i);
  if (msg.reverse) order.reverse();
  for (const i of order) {
    const key = msg.keys[i]!;
    const r = await store.claimAction(key, { objectId: msg.name, name: msg.name }, msg.at, 60_000);
    claims[key] = r.claimed ? msg.name : (r.by.name ?? '?');
    const op = msg.operations[i];
    if (op !== undefined) {
      // Every step is tried whether or not the lease was won: only the holder's may take effect.
      if (await store.leasePendingOperation(op, msg.name, '2030-01-01T00:00:00.000Z', msg.at)) leased.push(op);
      await store.markOperationStep(op, msg.name, 'polling', msg.at);
      const outcome = await store.recordOperationOutcome(op, msg.name, { outcome: 'succeeded', status: msg.name, details: [], durationMs: 1, polls: 1 }, msg.at);
      if (outcome) outcomes.push(`${op}=${outcome.status}`);
      await store.markOutcomeTaskDone(op, msg.name, 'reply', msg.at);
      if (await store.finishOperation(op, msg.name, 'reported', msg.at)) reported.push(op);
    }
    // A breath between steps, as between real clicks: without it one process holds the write lock
    // back to back and the other, sleeping in SQLite's busy handler, never gets a turn.
    await sleep(1);
  }
  await store.close();
  process.send!({ claims, leased, outcomes, reported }, () => process.exit(0));
});
process.send!('ready');
