import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sinon from 'sinon';
import {
  canonicalJson,
  createActionSigner,
  loadOrCreateSecret,
  ACTION_SECRET_NAME,
  DEFAULT_ACTION_TTL_MS,
  EXPIRED_MESSAGE,
  TAMPERED_MESSAGE,
  type SignedAction,
} from '../../bot/security/signing';

const SECRET = 'k7Jx0c2mYQ8v1rW4pT6sN3bE5hL9dA0fZ2uG8iK4oM6qR1tV3xB5';
const T0 = Date.parse('2025-03-01T12:00:00Z');

/** What a card's Dismiss button carries. */
const dismiss = {
  verb: 'dismiss',
  scope: 'subscriptions/dfa2a084-766f-4003-8ae1-c4aeb893a99f',
  alertId: 'TooManyOwnersAssignedToResource',
  card: { kind: 'alert', rev: 3 },
};

/** Round-trips through JSON with every object's keys in reverse order, as a client might send them. */
function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .reverse()
        .map((k) => [k, reorder((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('signed card actions', () => {
  let timers: sinon.SinonFakeTimers;
  const clock = { now: () => Date.now() };
  const signer = () => createActionSigner({ secret: SECRET, clock });

  beforeEach(() => {
    timers = sinon.useFakeTimers({ now: T0, toFake: ['Date'] });
  });
  afterEach(() => timers.restore());

  it('round-trips through JSON: the payload, nonce and expiry come back', () => {
    const s = signer();
    const signed = s.sign(dismiss);
    assert.equal(signed.v, 1);
    assert.equal(signed.exp, T0 + DEFAULT_ACTION_TTL_MS);
    assert.match(signed.n, /^[A-Za-z0-9_-]{22}$/);
    assert.match(signed.sig, /^[A-Za-z0-9_-]{43}$/);
    const r = s.verify(viaJson(signed));
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.deepEqual(r.payload, dismiss);
    assert.equal(r.nonce, signed.n);
    assert.equal(r.expiresAt, signed.exp);
    assert.deepEqual(r.inputs, {});
  });

  it('every card gets a fresh nonce', () => {
    const s = signer();
    assert.notEqual(s.sign(dismiss).n, s.sign(dismiss).n);
  });

  it('still verifies when the client reorders keys at every level', () => {
    const s = signer();
    const signed = s.sign(dismiss);
    const back = reorder(viaJson(signed));
    assert.notEqual(JSON.stringify(back), JSON.stringify(signed));
    assert.equal(s.verify(back).ok, true);
  });

  it('canonicalJson sorts keys recursively and follows JSON for what it cannot hold', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"e":2,"f":1}]},"b":1}');
    assert.equal(canonicalJson({ a: undefined, b: NaN, c: [undefined] }), '{"b":null,"c":[null]}');
  });

  const tampered: Array<[string, (s: SignedAction<typeof dismiss>) => unknown]> = [
    ['scope', (s) => ({ ...s, p: { ...s.p, scope: 'subscriptions/11111111-2222-3333-4444-555555555555' } })],
    ['alert', (s) => ({ ...s, p: { ...s.p, alertId: 'TooManyGlobalAdminsAssignedToTenant' } })],
    ['verb', (s) => ({ ...s, p: { ...s.p, verb: 'remediate' } })],
    ['nested field', (s) => ({ ...s, p: { ...s.p, card: { kind: 'alert', rev: 4 } } })],
    ['added payload field', (s) => ({ ...s, p: { ...s.p, incidentId: 'x' } })],
    ['expiry pushed out', (s) => ({ ...s, exp: s.exp + 365 * 24 * 3600 * 1000 })],
    ['nonce', (s) => ({ ...s, n: Buffer.alloc(16, 7).toString('base64url') })],
    ['signature byte', (s) => ({ ...s, sig: Buffer.from(Buffer.from(s.sig, 'base64url').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64url') })],
  ];
  for (const [what, change] of tampered) {
    it(`refuses a changed ${what} as BadSignature with the plain message`, () => {
      const s = signer();
      const r = s.verify(change(viaJson(s.sign(dismiss))));
      assert.deepEqual(r, { ok: false, code: 'BadSignature', message: TAMPERED_MESSAGE });
    });
  }

  it('refuses data signed with another secret', () => {
    const other = createActionSigner({ secret: `${SECRET}-other`, clock });
    const r = signer().verify(viaJson(other.sign(dismiss)));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'BadSignature');
  });

  it('refuses an expired card, and only once the expiry instant is reached', () => {
    const s = createActionSigner({ secret: SECRET, clock, ttlMs: 60_000 });
    const signed = viaJson(s.sign(dismiss));
    timers.tick(59_999);
    assert.equal(s.verify(signed).ok, true);
    timers.tick(1);
    assert.deepEqual(s.verify(signed), { ok: false, code: 'Expired', message: EXPIRED_MESSAGE });
  });

  it('says BadSignature, not Expired, for an expired card that was also altered', () => {
    const s = createActionSigner({ secret: SECRET, clock, ttlMs: 1000 });
    const signed = viaJson(s.sign(dismiss));
    timers.tick(5000);
    const r = s.verify({ ...signed, p: { ...signed.p, verb: 'remediate' } });
    assert.equal(!r.ok && r.code, 'BadSignature');
  });

  it('calls a plain unsigned object Unsigned', () => {
    const r = signer().verify({ verb: 'dismiss', scope: dismiss.scope, alertId: dismiss.alertId });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'Unsigned');
    assert.match(!r.ok ? r.message : '', /"alerts"/);
  });

  it('refuses garbage of every type as Malformed without throwing', () => {
    const s = signer();
    const good = viaJson(s.sign(dismiss));
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let i = 0; i < 10_000; i++) cursor = (cursor['x'] = {}) as Record<string, unknown>;
    const garbage: unknown[] = [
      null,
      undefined,
      'dismiss',
      42,
      true,
      [good],
      'x'.repeat(5_000_000),
      { ...good, v: 2 },
      { ...good, v: '1' },
      { ...good, exp: String(good.exp) },
      { ...good, exp: 1.5 },
      { ...good, n: 42 },
      { ...good, n: 'short' },
      { ...good, sig: undefined },
      { ...good, sig: good.sig.slice(0, 42) },
      { ...good, sig: `${good.sig}AA` },
      { ...good, sig: `${good.sig.slice(0, 42)}=` },
      { ...good, sig: Buffer.from(good.sig, 'base64url').toString('base64') },
      { ...good, p: 'dismiss' },
      { ...good, p: null },
      { ...good, p: [1, 2] },
      { ...good, p: { blob: 'x'.repeat(1_000_000) } },
      { ...good, p: deep },
    ];
    garbage.forEach((g, i) => {
      const r = s.verify(g);
      assert.equal(r.ok, false, `garbage #${i} was accepted`);
      assert.equal(!r.ok && r.code, 'Malformed', `garbage #${i}`);
      assert.equal(!r.ok && r.message, TAMPERED_MESSAGE);
    });
  });

  it("returns Teams' merged card inputs separately, never inside the payload, without affecting validity", () => {
    const s = signer();
    const signed = viaJson(s.sign(dismiss));
    // Action.Execute sends action.data with the card's input values added as top-level keys.
    const invokeData = { ...signed, reason: 'False positive: break-glass accounts', verb: 'remediate', msteams: { type: 'task/fetch' } };
    const r = s.verify(invokeData);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.equal(r.payload['verb'], 'dismiss');
    assert.deepEqual(r.inputs, { reason: 'False positive: break-glass accounts', verb: 'remediate', msteams: { type: 'task/fetch' } });
  });

  it('verifies action.data of a real Teams Action.Execute invoke that carries an input value', () => {
    const invoke = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'teams', 'invoke-adaptiveCard-action-manual.docs.json'), 'utf8')) as {
      value: { action: { verb: string; data: Record<string, unknown> } };
    };
    const s = signer();
    const inputsFromFixture = { ...invoke.value.action.data };
    // The bot's card put the signed data on the button; Teams adds the input value ("item") beside it.
    invoke.value.action.data = { ...s.sign(dismiss), ...inputsFromFixture };
    const received = reorder(viaJson(invoke)) as typeof invoke;
    const r = s.verify(received.value.action.data);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.deepEqual(r.inputs, { item: 'vegan' });
    assert.deepEqual(r.payload, dismiss);
  });

  it('refuses short secrets and non-object payloads', () => {
    assert.throws(() => createActionSigner({ secret: 'too short', clock }), /at least 32/);
    assert.throws(() => signer().sign([] as unknown as object), /plain object/);
    assert.throws(() => signer().sign({ blob: 'x'.repeat(20_000) }), /under/);
  });

  it('a Buffer secret and its string form are the same key', () => {
    const a = createActionSigner({ secret: Buffer.from(SECRET, 'utf8'), clock });
    assert.equal(signer().verify(viaJson(a.sign(dismiss))).ok, true);
  });
});

describe('loadOrCreateSecret', () => {
  const memoryStore = () => {
    const secrets = new Map<string, string>();
    return {
      secrets,
      ensureSecret: sinon.spy(async (name: string, create: () => string) => {
        if (!secrets.has(name)) secrets.set(name, create());
        return secrets.get(name)!;
      }),
    };
  };

  it('uses PIM_ACTION_SECRET when configured and leaves the store alone', async () => {
    const store = memoryStore();
    assert.equal(await loadOrCreateSecret(store, `  ${SECRET}\n`), SECRET);
    assert.equal(store.ensureSecret.callCount, 0);
  });

  it('refuses a configured secret shorter than 32 characters, naming the variable', async () => {
    await assert.rejects(loadOrCreateSecret(memoryStore(), 'hunter2'), /PIM_ACTION_SECRET is 7 characters long; set it to at least 32/);
  });

  it('otherwise generates 32 random bytes once and keeps them', async () => {
    const store = memoryStore();
    const first = await loadOrCreateSecret(store);
    assert.equal(Buffer.from(first, 'base64').length, 32);
    assert.equal(await loadOrCreateSecret(store, ''), first);
    assert.deepEqual([...store.secrets.keys()], [ACTION_SECRET_NAME]);
  });
});
