// The Entra ID directory beside the Azure scopes, through the real pipeline: Teams-shaped messages
// and card clicks go to /api/messages, the bot reads and writes the simulator's Graph routes (the
// directory scope) and ARM routes (the Azure scopes) through the composite API, decides who may act
// from the seeded directory roles, and answers with cards and thread replies.
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertValidCard } from '../cards/validateCard';
import { DIRECTORY_TENANT_ID, PLAYGROUND_READER_OBJECT_ID, PRINCIPAL_IDS } from '../../sim/seed';
import { ALEX, buttons, cardAction, cardText, channelMessage, personalMessage, startHarness, type Harness, type Who } from '../helpers/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MEGAN: Who = { id: '29:megan', name: 'Megan Bowen', aadObjectId: PLAYGROUND_READER_OBJECT_ID };
const TOMAS: Who = { id: '29:tomas', name: 'Tomás Ribeiro', aadObjectId: PRINCIPAL_IDS.pimOperatorsMember };
const DANA: Who = { id: '29:dana', name: 'Dana Whitfield', aadObjectId: PRINCIPAL_IDS.subscriptionOwner };
const TGA = `DirectoryRole_${DIRECTORY_TENANT_ID}_TooManyGlobalAdminsAssignedToTenantAlert`;
const OUTSIDE = `DirectoryRole_${DIRECTORY_TENANT_ID}_RolesAssignedOutsidePimAlert`;
const STALE = `DirectoryRole_${DIRECTORY_TENANT_ID}_StaleSignInAlert`;

/** Writes the simulator saw on its Graph routes. */
function graphWrites(h: Harness): Array<{ method: string; path: string }> {
  return h.sim.requests.filter((r) => r.method !== 'GET' && r.url.startsWith('/beta/')).map((r) => ({ method: r.method, path: r.url.split('?')[0]! }));
}

async function cardFor(h: Harness, text: string, from: Who = ALEX): Promise<Json> {
  const msg = channelMessage(h, text, from);
  const before = h.cardsIn(msg.conversation.id).length;
  assert.equal((await h.post(msg)).status, 200);
  const card = h.cardsIn(msg.conversation.id)[before];
  assert.ok(card, `a card answered "${text}"`);
  assertValidCard(card as never);
  return card;
}

async function click(h: Harness, card: Json, verb: string, from: Who = ALEX, inputs?: Record<string, unknown>): Promise<Json> {
  const b = buttons(card).find((x) => x.verb === verb);
  assert.ok(b, `the card has a ${verb} button (has: ${buttons(card).map((x) => x.verb).join(', ')})`);
  const res = await h.post(cardAction(h, b, { from, inputs }));
  assert.equal(res.status, 200);
  assertValidCard(res.body.value);
  return res.body.value;
}

describe('the Entra ID directory beside the Azure scopes', function () {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('`alerts` shows the directory and its alerts beside the Azure scopes, each named by its world', async () => {
    assert.ok(h.config.scopes.some((s) => s.scope === 'directory'), 'the local configuration watches the directory');
    const text = cardText(await cardFor(h, 'alerts'));
    assert.match(text, /Entra ID\n(Refresh\n)?directory · Entra ID · directory roles/);
    assert.match(text, /Contoso Production\n(Refresh\n)?subscriptions\/[0-9a-f-]+ · Azure resource roles/);
    assert.match(text, /There are too many global administrators/);
    assert.match(text, /Roles are being assigned outside of Privileged Identity Management/);
    assert.match(text, /Too many owners assigned to a resource/);
    const scopes = cardText(await cardFor(h, 'scopes'));
    assert.match(scopes, /Entra ID/);
    assert.match(scopes, /2 active alerts \(1 High, 1 Low\)/);
  });

  it('dismisses a directory alert from its card, through Graph, and audits it', async () => {
    const detail = await cardFor(h, 'alert "too many global administrators" directory');
    assert.match(cardText(detail), /Applies to Entra ID · directory roles/);
    assert.match(cardText(detail), /Incidents \(16\)/);
    const confirm = await click(h, detail, 'dismissConfirm');
    assert.deepEqual(graphWrites(h), [], 'nothing written before Confirm');
    const done = await click(h, confirm, 'dismiss');
    assert.match(cardText(done), /Dismissed by Alex Wilber/);
    assert.deepEqual(graphWrites(h), [{ method: 'PATCH', path: `/beta/identityGovernance/roleManagementAlerts/alerts/${TGA}` }]);
    assert.equal(h.sim.directory!.findAlert(TGA).isActive, false);
    const [entry] = await h.app.deps.store.latestAudit(1);
    assert.equal(entry!.scope, 'directory');
    assert.equal(entry!.alertId, TGA);
    assert.equal(entry!.result, 'succeeded');
    assert.match(entry!.armRequestId ?? '', /^[0-9a-f-]{36}$/, "Graph's request id is kept");
  });

  it('remediates a directory incident, which Graph answers with 200', async () => {
    const detail = await cardFor(h, 'alert outside directory');
    assert.match(cardText(detail), /Sam Contractor/);
    assert.match(cardText(detail), /Directory role Privileged Role Administrator/);
    const confirm = await click(h, detail, 'remediateConfirm');
    const done = await click(h, confirm, 'remediate');
    assert.match(cardText(confirm), /^Remediate the Privileged Role Administrator assignment of Sam Contractor \(.*\), made outside PIM on Entra ID\?$/m);
    assert.match(cardText(done), /^Remediated by Alex Wilber at .*: the Privileged Role Administrator assignment of Sam Contractor/m);
    assert.deepEqual(graphWrites(h), [{ method: 'POST', path: `/beta/identityGovernance/roleManagementAlerts/alerts/${OUTSIDE}/alertIncidents/9e864769-63e3-4635-8069-551bcd46183d/remediate` }]);
    assert.equal(h.sim.directory!.findAlert(OUTSIDE).incidents.length, 0);
  });

  it('changes a directory configuration: days on the form, an ISO 8601 duration and @odata.type on the wire', async () => {
    const cfg = await cardFor(h, 'config stale directory');
    assert.match(cardText(cfg), /Time without sign-in 30 days/);
    const form = await click(h, cfg, 'configure');
    const input = JSON.stringify(form);
    assert.match(input, /"id":"duration"/);
    assert.match(input, /"label":"Time without sign-in \(days, 1 to 365\)"/);
    assert.match(input, /"value":"30"/);
    const bad = await click(h, form, 'configureSubmit', ALEX, { isEnabled: 'true', duration: '400' });
    assert.match(cardText(bad), /^400 is out of range: enter a whole number of days from 1 to 365\.$/m);
    assert.deepEqual(graphWrites(h), [], 'an invalid form makes no write');
    const saved = await click(h, form, 'configureSubmit', ALEX, { isEnabled: 'true', duration: '45' });
    assert.match(cardText(saved), /Saved by Alex Wilber/);
    assert.match(cardText(saved), /Time without sign-in 45 days/);
    assert.equal(h.sim.directory!.findAlert(STALE).configuration.duration, 'P45D');
    assert.deepEqual(graphWrites(h), [{ method: 'PATCH', path: `/beta/identityGovernance/roleManagementAlerts/alertConfigurations/${STALE}` }]);
  });

  it('refreshes a directory alert: the Graph operation is stored, polled to the end, and the outcome posted in the thread', async () => {
    const msg = channelMessage(h, 'alert "too many global administrators" directory');
    await h.post(msg);
    const detail = h.cardsIn(msg.conversation.id).at(-1)!;
    const confirm = await click(h, detail, 'refreshConfirm');
    const started = await click(h, confirm, 'refresh');
    assert.match(cardText(started), /Refreshing — started by Alex Wilber/);
    const [pending] = await h.app.deps.store.listUnreportedOperations();
    assert.equal(pending!.handle.service, 'graph', 'the stored handle says which API to poll');
    assert.equal(pending!.handle.location, `${h.sim.url}/beta/identityGovernance/roleManagementAlerts/operations/refresh:${TGA}`);
    await h.app.operations.idle();
    const replies = h.connector.allDelivered().filter((a) => typeof a.activity.text === 'string' && /Refresh of/.test(a.activity.text as string));
    assert.equal(replies.length, 1, 'exactly one outcome reply');
    assert.match(replies[0]!.activity.text as string, /^Refresh of There are too many global administrators on Entra ID succeeded after \d+ s \(started by Alex Wilber\)\. It is active, with \d+ incidents\.$/);
    assert.equal(replies[0]!.conversationId, msg.conversation.id);
    assert.equal((await h.app.deps.store.listUnreportedOperations()).length, 0);
    const polls = h.sim.requests.filter((r) => r.url.startsWith('/beta/identityGovernance/roleManagementAlerts/operations/'));
    assert.ok(polls.length >= 1 && polls.every((r) => r.status === 200));
  });

  it('a digest subscribed to the directory and an Azure scope shows both', async () => {
    const subscribed = cardText(await cardFor(h, 'subscribe daily 09:00 directory 1'));
    assert.match(subscribed, /Entra ID/);
    const [sub] = await h.app.deps.store.listSubscriptions();
    assert.deepEqual([...sub!.scopes].sort(), ['directory', h.sim.scopes[0]!.id].sort());
    const digest = cardText(await cardFor(h, 'digest'));
    assert.match(digest, /Entra ID\n(Refresh\n)?directory · Entra ID · directory roles/);
    assert.match(digest, /Contoso Production\n(Refresh\n)?subscriptions\/[0-9a-f-]+ · Azure resource roles/);
    assert.match(digest, /There are too many global administrators/);
    assert.match(digest, /Too many owners assigned to a resource/);
  });
});

describe('who may act on the directory (rbac mode, from Graph)', function () {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  async function tryDismiss(who: Who): Promise<string> {
    const confirm = await click(h, await cardFor(h, 'alert outside directory'), 'dismissConfirm');
    const b = buttons(confirm).find((x) => x.verb === 'dismiss')!;
    const res = await h.post(cardAction(h, b, { from: who }));
    return cardText(res.body.value);
  }

  it('refuses a Global Reader, writes nothing, and audits the refusal with its reason', async () => {
    const text = await tryDismiss(MEGAN);
    assert.match(text, /You need an active Privileged Role Administrator or Global Administrator assignment for the whole directory; you have Global Reader\./);
    assert.match(text, /Ask someone with an active Privileged Role Administrator or Global Administrator assignment in Entra ID/);
    assert.deepEqual(graphWrites(h), []);
    const [entry] = await h.app.deps.store.latestAudit(1);
    assert.deepEqual([entry!.result, entry!.scope, entry!.actorObjectId], ['refused', 'directory', MEGAN.aadObjectId]);
    assert.match(entry!.detail ?? '', /you have Global Reader/);
  });

  it('refuses an Azure Owner with no directory role: the worlds do not lend each other rights', async () => {
    assert.match(await tryDismiss(DANA), /you have no active directory role/);
    assert.deepEqual(graphWrites(h), []);
  });

  it('allows a Privileged Role Administrator through a group', async () => {
    assert.match(await tryDismiss(TOMAS), /Dismissed by Tomás Ribeiro/);
    assert.equal(graphWrites(h).length, 1);
  });

  it('whoami shows the directory row and why', async () => {
    const msg = personalMessage(h, 'whoami', MEGAN);
    await h.post(msg);
    const megan = cardText(h.cardsIn(msg.conversation.id).at(-1)!);
    assert.match(megan, /Entra ID\ndirectory · Entra ID · directory roles\n✖ Read only\nYou need an active Privileged Role Administrator or Global Administrator assignment for the whole directory; you have Global Reader\./);
    const mine = personalMessage(h, 'whoami', ALEX);
    await h.post(mine);
    assert.match(cardText(h.cardsIn(mine.conversation.id).at(-1)!), /Entra ID\ndirectory · Entra ID · directory roles\n✔ May act\nAllowed: Privileged Role Administrator in the directory\./);
  });
});

describe('a bot granted only RoleManagementAlert.Read.Directory', function () {
  let h: Harness;
  let graph: http.Server;
  let simUrl = '';
  before(async () => {
    // Graph as a read-only identity sees it: reads go through (to the simulator), writes get Graph's 403.
    graph = http.createServer((req, res) => {
      if (req.method === 'GET') {
        const proxied = http.request(`${simUrl}${req.url}`, { method: 'GET', headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        proxied.end();
        return;
      }
      req.resume();
      res.writeHead(403, { 'content-type': 'application/json', 'request-id': 'read-only-403' });
      res.end(JSON.stringify({ error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.', innerError: { 'request-id': 'read-only-403' } } }));
    });
    await new Promise<void>((resolve) => graph.listen(0, '127.0.0.1', resolve));
    h = await startHarness({ env: { GRAPH_ENDPOINT: `http://127.0.0.1:${(graph.address() as AddressInfo).port}` } });
    simUrl = h.sim.url;
  });
  after(async () => {
    await h.close();
    await new Promise<void>((resolve) => graph.close(() => resolve()));
  });

  it('answers a dismiss with one sentence naming the Graph permission it lacks, not a stack trace, and audits the failure', async () => {
    const confirm = await click(h, await cardFor(h, 'alert outside directory'), 'dismissConfirm');
    const done = await click(h, confirm, 'dismiss');
    const text = cardText(done);
    assert.match(text, /Microsoft Graph refused the request/);
    assert.match(text, /The bot's identity lacks RoleManagementAlert\.ReadWrite\.Directory on Microsoft Graph: grant its managed identity that application permission, with admin consent/);
    assert.doesNotMatch(text, /at .*\.ts:\d+/);
    const [entry] = await h.app.deps.store.latestAudit(1);
    assert.deepEqual([entry!.result, entry!.scope, entry!.armRequestId], ['failed', 'directory', 'read-only-403']);
  });
});
