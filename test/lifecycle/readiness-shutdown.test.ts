// Readiness and shutdown, as a platform sees them: /readyz answers from the store alone, and a
// SIGTERM lets the turn in flight answer before the process exits 0, within a bounded time.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { openSqliteStore } from '../../bot/store/sqlite';
import { createShutdown } from '../../bot/run';
import { startSimulator, type Simulator } from '../../sim/server';
import { startFakeConnector, type FakeConnector } from '../fakes/connector';
import { cardText, channelMessage, startHarness, type Harness } from '../helpers/harness';
import { post, startBot, stopAllBots, stopBot, withTimeout, simulatorSettings } from '../helpers/process';

describe('readiness: GET /readyz', () => {
  let h: Harness | undefined;
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-readyz-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await h?.close();
    h = undefined;
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 200 while the store answers, and asks neither ARM nor Teams', async () => {
    h = await startHarness({ dataDir: tempDir() });
    const before = { arm: h.sim.requests.length, teams: h.connector.requests.length };
    const res = await fetch(`${h.url}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready' });
    assert.equal(h.sim.requests.length, before.arm, 'no ARM request');
    assert.equal(h.connector.requests.length, before.teams, 'no Bot Connector request');
  });

  it('answers 503 when the store does not answer, while /healthz still answers 200', async () => {
    const dataDir = tempDir();
    const sqlite = openSqliteStore({ dataDir });
    let failing = false;
    const store = {
      ...sqlite,
      ping: async () => {
        if (failing) throw new Error('the database file is gone');
        return sqlite.ping();
      },
    };
    h = await startHarness({ dataDir, overrides: { store } });
    assert.equal((await fetch(`${h.url}/readyz`)).status, 200);
    failing = true;
    const res = await fetch(`${h.url}/readyz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { status: 'not ready' });
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200, 'the process is alive: a restart would not help');
  });

  it('answers 503 once the SQLite store is closed', async () => {
    const dataDir = tempDir();
    const sqlite = openSqliteStore({ dataDir });
    h = await startHarness({ dataDir, overrides: { store: sqlite } });
    await sqlite.close();
    assert.equal((await fetch(`${h.url}/readyz`)).status, 503);
  });
});

describe('shutdown', () => {
  describe('SIGTERM with a turn in flight (the bot as a process)', function () {
    this.timeout(30_000);
    let sim: Simulator;
    let connector: FakeConnector;
    let dataDir: string;
    let cwd: string;

    beforeEach(async () => {
      sim = await startSimulator();
      connector = await startFakeConnector({ perConversation: false, global: false });
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-shutdown-'));
      cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-shutdown-cwd-'));
    });

    afterEach(async () => {
      await stopAllBots();
      await connector.close();
      await sim.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    it('stops taking requests, lets the turn answer, and exits 0', async () => {
      const bot = await startBot(
        { ...simulatorSettings(sim, dataDir), LOG_LEVEL: 'info' },
        cwd,
      );
      const msg = channelMessage({ connector }, 'help');
      // The bot's answer reaches the Bot Connector, which holds it: the turn is in flight.
      const held = connector.hold(msg.conversation.id);
      const answered = post(bot, msg);
      await withTimeout(held.arrived, 10_000, 'the turn to send its answer');

      process.kill(-bot.child.pid!, 'SIGTERM');
      await bot.logged((l) => l.msg === 'shutting down', '"shutting down"');
      // A new request is not taken: the listener is closed.
      await assert.rejects(fetch(`${bot.url}/healthz`), 'no new connection is accepted while stopping');
      assert.equal(bot.hasExited(), false, 'the process waits for the turn in flight');

      held.release();
      const res = await withTimeout(answered, 10_000, 'the HTTP answer to the turn');
      assert.equal(res.status, 200);
      const delivered = connector.delivered(msg.conversation.id);
      assert.equal(delivered.length, 1, 'the answer was delivered');
      const card = (delivered[0]!.activity.attachments as Array<{ content: Record<string, unknown> }>)[0]!.content;
      assert.match(cardText(card), /alerts/);

      const exit = await stopBot(bot, 'SIGTERM', 10_000);
      assert.deepEqual(exit, { code: 0, signal: null }, bot.output());
      assert.ok(bot.logs.some((l) => l.msg === 'stopped'), 'it says it stopped');
    });
  });

  describe('the shutdown sequence', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers();
    });
    afterEach(() => clock.restore());

    const logger = () => ({ info: sinon.spy(), warn: sinon.spy(), error: sinon.spy() });

    it('runs every stop in order, past one that fails, then exits 0', async () => {
      const order: string[] = [];
      const exit = sinon.spy();
      const log = logger();
      const shutdown = createShutdown({
        stops: [
          { name: 'the bot', stop: async () => void order.push('bot') },
          { name: 'a broken one', stop: async () => Promise.reject(new Error('boom')) },
          { name: 'telemetry', stop: async () => void order.push('telemetry') },
        ],
        graceMs: 25_000,
        logger: log,
        exit,
      });
      await shutdown('SIGTERM');
      assert.deepEqual(order, ['bot', 'telemetry']);
      assert.deepEqual(exit.args, [[0]]);
      assert.equal(log.warn.callCount, 1, 'the failing stop is logged');
    });

    it('exits 1 with a log line when the stops outlast the grace period, and only once', async () => {
      const exit = sinon.spy();
      const log = logger();
      let finish!: () => void;
      const shutdown = createShutdown({
        stops: [{ name: 'a turn that never ends', stop: () => new Promise<void>((resolve) => (finish = resolve)) }],
        graceMs: 25_000,
        logger: log,
        exit,
      });
      const done = shutdown('SIGTERM');
      void shutdown('SIGINT'); // a second signal joins the first
      await clock.tickAsync(24_999);
      assert.equal(exit.callCount, 0);
      await clock.tickAsync(1);
      await done;
      assert.deepEqual(exit.args, [[1]]);
      assert.match(String(log.error.firstCall.args[1]), /did not finish in time/);
      finish();
      await clock.tickAsync(0);
      assert.deepEqual(exit.args, [[1]], 'a late finish does not exit again');
      assert.equal(log.info.callCount, 1, 'one "shutting down", no "stopped"');
    });
  });
});
