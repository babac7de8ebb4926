// A change is never made without an audit entry. The bot runs as a separate process (the real
// bot/main.ts); the simulator holds a dismiss PATCH open, the bot is killed with SIGKILL while ARM
// is answering, and ARM then makes the change. The restarted bot's `audit` card shows the attempt
// whose outcome nobody saw as "Outcome unknown".
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore, type SqliteBotStore } from '../../bot/store/sqlite';
import { startSimulator, type Simulator } from '../../sim/server';
import { SCOPES } from '../../sim/seed';
import { startFakeConnector, type FakeConnector, type StoredActivity } from '../fakes/connector';
import { ALEX, buttons, cardAction, cardText, channelMessage, personalMessage } from '../helpers/harness';
import { post, startBot, stopAllBots, stopBot, waitFor, simulatorSettings } from '../helpers/process';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ALERT = 'TooManyPermanentOwnersAssignedToResource';

function cards(connector: FakeConnector, conversationId: string): Array<{ id: string; card: Json }> {
  return connector
    .delivered(conversationId)
    .map((a: StoredActivity) => ({ id: a.id, card: (a.activity.attachments as Array<{ contentType: string; content: Json }> | undefined)?.find((x) => x.contentType === 'application/vnd.microsoft.card.adaptive')?.content }))
    .filter((x): x is { id: string; card: Json } => x.card !== undefined);
}

describe('durability: a kill during an ARM write leaves an audited attempt', function () {
  this.timeout(30_000);

  let sim: Simulator;
  let connector: FakeConnector;
  let dataDir: string;
  let cwd: string;
  let store: SqliteBotStore | undefined;
  let releasePatch: (() => void) | undefined;
  let patchArrived: Promise<void>;

  beforeEach(async () => {
    let arrived!: () => void;
    patchArrived = new Promise<void>((r) => (arrived = r));
    const held = new Promise<void>((r) => (releasePatch = r));
    sim = await startSimulator({
      // The dismiss PATCH is held before ARM acts on it, until the test lets it through.
      beforeReply: (r) => {
        if (r.method !== 'PATCH') return undefined;
        arrived();
        return held;
      },
    });
    connector = await startFakeConnector({ perConversation: false, global: false });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-audit-crash-'));
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-audit-crash-cwd-'));
  });

  afterEach(async () => {
    releasePatch?.();
    await stopAllBots();
    await store?.close();
    store = undefined;
    await connector.close();
    await sim.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('killed while ARM answers a dismiss: the alert is dismissed and `audit` shows the attempt as outcome unknown', async () => {
    const env = {
      ...simulatorSettings(sim, dataDir),
      PIM_AUTHZ: 'rbac',
      PLAYGROUND: 'false',
      LOG_LEVEL: 'info',
      PIM_TIME_ZONE: 'UTC',
    };
    const first = await startBot(env, cwd);

    const msg = channelMessage({ connector }, 'alert permanent');
    assert.equal((await post(first, msg)).status, 200);
    const [detail] = cards(connector, msg.conversation.id);
    assert.ok(detail, 'the bot answered with the alert card');
    const confirm = await post(first, cardAction({ connector }, buttons(detail.card).find((b) => b.verb === 'dismissConfirm')!, { from: ALEX, conversationOf: msg, cardActivityId: detail.id }));
    const dismiss = buttons(confirm.body.value).find((b) => b.verb === 'dismiss')!;

    // The click whose write ARM is still answering when the process dies; its HTTP answer never comes.
    const clicked = post(first, cardAction({ connector }, dismiss, { from: ALEX, conversationOf: msg, cardActivityId: detail.id })).catch((err: Error) => err);
    await patchArrived;
    const killed = await stopBot(first, 'SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok((await clicked) instanceof Error, 'the click was never answered');
    // ARM finishes the change the dead process asked for.
    releasePatch!();
    await waitFor('ARM to apply the dismiss', 5000, () => sim.state.alert(SCOPES.production, ALERT)?.isActive === false);

    store = openSqliteStore({ dataDir });
    const attempts = (await store.latestAudit(20)).filter((e) => e.action === 'dismiss' && e.result !== 'awaitingConfirmation');
    assert.deepEqual(
      attempts.map((e) => [e.result, e.actorName, e.scope, e.alertId]),
      [['attempted', 'Alex Wilber', SCOPES.production, ALERT]],
      'exactly one entry: the attempt, written before the PATCH, with no outcome',
    );

    const second = await startBot(env, cwd);
    const ask = personalMessage({ connector }, 'audit 5', ALEX);
    assert.equal((await post(second, ask)).status, 200);
    const log = cards(connector, ask.conversation.id).at(-1)!.card;
    const text = cardText(log);
    assert.match(text, /Dismiss[\s\S]*Outcome unknown/);
    assert.match(text, /No outcome was recorded, so Azure may or may not have made this change/);
    assert.match(text, new RegExp(`Alert ${ALERT}`));
  });
});
