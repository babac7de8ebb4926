// Properties of the action-data decoder (fast-check): what a click sends back goes through the
// signer's verify and then parseActionPayload. Neither throws on anything a client can send (only
// the bot's own coded errors come out), nothing the bot did not sign is accepted, changing any one
// character of signed data is refused, and what the bot signed comes back exactly.
// `npm run fuzz` runs each with 100,000 inputs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ACTION_VERBS, type ActionPayload } from '../../cards';
import { PimValidationError, normalizeScope, validateId } from '../../bot/azure/validate';
import { BotError } from '../../bot/core/errors';
import { parseActionPayload } from '../../bot/core/payload';
import { COMMAND_NAMES } from '../../bot/commands/catalog';
import { createActionSigner, type VerifyFailureCode } from '../../bot/security/signing';
import { FUZZ_RUNS } from '../fuzz';

const SECRET = 'k7Jx0c2mYQ8v1rW4pT6sN3bE5hL9dA0fZ2uG8iK4oM6qR1tV3xB5';
const NOW = Date.parse('2025-03-01T12:00:00Z');
const signer = createActionSigner({ secret: SECRET, clock: { now: () => NOW } });

const CONFIGURED = [
  'subscriptions/afa2a084-766f-4003-8ae1-c4aeb893a99f',
  'subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-app_01.prod(eu)',
  'providers/Microsoft.Management/managementGroups/mg-contoso',
];
const isConfigured = (scope: string) => CONFIGURED.some((s) => s.toLowerCase() === scope.toLowerCase());
const FAILURES: readonly VerifyFailureCode[] = ['Unsigned', 'Malformed', 'BadSignature', 'Expired'];

const alertId = fc.oneof(
  fc.constantFrom('TooManyOwnersAssignedToResource', 'DuplicateRoleCreated', 'AzureRolesAssignedOutsidePimAlert'),
  fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,60}$/).filter((s) => !s.includes('..')),
);
const incidentId = fc.uuid();
const scope = fc.constantFrom(...CONFIGURED);
const page = fc.integer({ min: 1, max: 10_000 });

/** Every button the cards make. */
const actionPayload: fc.Arbitrary<ActionPayload> = fc.oneof(
  fc.record({ verb: fc.constantFrom('details', 'dismiss', 'dismissConfirm'), scope, alertId }),
  fc.record({ verb: fc.constantFrom('configure', 'configureSubmit'), scope, alertId, from: fc.constant('config') }, { requiredKeys: ['verb', 'scope', 'alertId'] }),
  fc.record({ verb: fc.constantFrom('remediate', 'remediateConfirm'), scope, alertId, incidentId }),
  fc.record({ verb: fc.constantFrom('refresh', 'refreshConfirm'), scope, alertId }, { requiredKeys: ['verb', 'scope'] }),
  fc.record({ verb: fc.constant('cancel'), scope, alertId, from: fc.constant('config') }, { requiredKeys: ['verb', 'scope'] }),
  fc.record({ verb: fc.constant('incidents'), scope, alertId, page }),
  fc.record({ verb: fc.constant('alerts'), scope: fc.oneof(scope, fc.constant('all')), severity: fc.constantFrom('High', 'Medium', 'Low'), page }, { requiredKeys: ['verb'] }),
  fc.record({ verb: fc.constant('scopes'), page }),
  fc.record({ verb: fc.constant('unsubscribe'), subscriptionId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) }),
  fc.record({ verb: fc.constant('help'), topic: fc.constantFrom(...COMMAND_NAMES) }, { requiredKeys: ['verb'] }),
) as fc.Arbitrary<ActionPayload>;

const base64url = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('base64url'));

/** Envelopes shaped exactly like signed data, with a signature nobody computed. */
const forged = fc.record({
  v: fc.constant(1),
  p: fc.oneof(actionPayload as fc.Arbitrary<unknown>, fc.dictionary(fc.string(), fc.jsonValue())),
  exp: fc.integer({ min: NOW + 1, max: NOW + 1e10 }),
  n: base64url(16),
  sig: base64url(32),
});

/** Any value a client could put in Action.Execute data, the odd shapes included. */
const anything = fc.oneof(
  fc.anything({ withNullPrototype: true, withObjectString: true, withBoxedValues: true, withMap: true, withSet: true, withSparseArray: true }),
  fc.jsonValue(),
  fc.record({ v: fc.jsonValue(), p: fc.jsonValue(), exp: fc.jsonValue(), n: fc.jsonValue(), sig: fc.jsonValue() }, { requiredKeys: [] }),
);

const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A character to put in place of another: mostly ones that keep the JSON, the nonce or the signature well-formed. */
const replacementChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')) },
  { weight: 1, arbitrary: fc.constantFrom(...' .,:{}[]"\\eE+/'.split('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);

function assertRefused(r: ReturnType<typeof signer.verify>): void {
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.ok(FAILURES.includes(r.code), r.code);
    assert.ok(r.message.length > 0);
  }
}

describe('action data: properties', () => {
  it('verify never throws and accepts nothing it did not sign (fast-check)', () => {
    fc.assert(
      fc.property(fc.oneof(anything, forged), (data) => {
        assertRefused(signer.verify(data));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('refuses signed data with any one character changed (fast-check)', () => {
    fc.assert(
      fc.property(actionPayload, fc.nat(), replacementChar, (payload, at, replacement) => {
        const json = JSON.stringify(signer.sign(payload));
        const i = at % json.length;
        fc.pre(json[i] !== replacement);
        const tampered = json.slice(0, i) + replacement + json.slice(i + 1);
        let data: unknown;
        try {
          data = JSON.parse(tampered);
        } catch {
          return; // Not JSON any more: the HTTP edge answers 400 before anything is verified.
        }
        assertRefused(signer.verify(data));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('gives back exactly what it signed, through verify and parseActionPayload (fast-check)', () => {
    fc.assert(
      fc.property(actionPayload, fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }), (payload, inputs) => {
        // Teams sends the card's inputs back next to the signed data.
        const signed = viaJson(signer.sign(payload));
        const r = signer.verify({ ...inputs, ...signed });
        assert.ok(r.ok);
        assert.deepEqual(r.payload, viaJson(payload));
        const parsed = parseActionPayload(payload.verb, r.payload, isConfigured);
        assert.deepEqual(viaJson(parsed), viaJson({ ...payload, ...('scope' in payload && payload.scope && payload.scope !== 'all' ? { scope: normalizeScope(payload.scope) } : {}) }));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('parseActionPayload only returns checked data, and only throws the bot\'s coded errors (fast-check)', () => {
    const field = fc.oneof(fc.jsonValue(), alertId, incidentId, scope, fc.constantFrom('../x', 'a/b', '%2e%2e', 'x?y', 'x#y', '', 'all', 'High', '\u0000', ' x', '.'));
    const payloadFor = (verb: string) =>
      fc.record(
        {
          verb: fc.oneof(fc.constant(verb), fc.string()),
          scope: field,
          alertId: field,
          incidentId: field,
          page: fc.oneof(page, fc.jsonValue()),
          severity: field,
          subscriptionId: field,
          topic: fc.oneof(field, fc.constantFrom(...COMMAND_NAMES)),
          from: fc.oneof(field, fc.constant('config')),
        },
        { requiredKeys: [] },
      );
    const verbAndPayload = fc.oneof(fc.constantFrom(...ACTION_VERBS), fc.string()).chain((verb) => fc.tuple(fc.constant(verb), payloadFor(verb)));
    fc.assert(
      fc.property(verbAndPayload, ([verb, payload]) => {
        let parsed: ActionPayload;
        try {
          parsed = parseActionPayload(verb, payload as Record<string, unknown>, isConfigured);
        } catch (err) {
          assert.ok(err instanceof BotError || err instanceof PimValidationError, `threw ${String(err)}`);
          return;
        }
        assert.equal(parsed.verb, verb);
        assert.equal(payload.verb, verb);
        const p = parsed as Record<string, unknown>;
        if (typeof p.scope === 'string' && p.scope !== 'all') assert.ok(isConfigured(p.scope) && normalizeScope(p.scope) === p.scope, p.scope);
        for (const [key, kind] of [['alertId', 'alert'], ['incidentId', 'incident']] as const) {
          if (p[key] !== undefined) assert.equal(validateId(kind, p[key] as string), p[key]);
        }
        if (p.page !== undefined) assert.ok(Number.isInteger(p.page) && (p.page as number) >= 1 && (p.page as number) <= 10_000);
        if (p.severity !== undefined) assert.ok(['High', 'Medium', 'Low'].includes(p.severity as string));
        if (p.subscriptionId !== undefined) assert.match(p.subscriptionId as string, /^[A-Za-z0-9_-]{1,64}$/);
        if (p.topic !== undefined) assert.ok((COMMAND_NAMES as readonly unknown[]).includes(p.topic), `topic ${String(p.topic)}`);
        if (p.from !== undefined) assert.equal(p.from, 'config');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('a fresh random key refuses what another key signed (fast-check)', () => {
    const other = createActionSigner({ secret: randomBytes(32).toString('base64'), clock: { now: () => NOW } });
    fc.assert(
      fc.property(actionPayload, (payload) => {
        const r = signer.verify(viaJson(other.sign(payload)));
        assert.equal(!r.ok && r.code, 'BadSignature');
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
