// Properties of the id and scope validators (fast-check): whatever a person types or a forged click
// carries, what they accept can only name one ARM path segment (ids) or one of the three scope
// shapes (scopes) — never a `/`, `?`, `#`, `%`, `\`, `..`, whitespace or control character where
// it could reshape a URL — and normalising is idempotent. `npm run fuzz` runs each with 100,000.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PimErrorCode, PimValidationError } from '../../bot/azure/errors';
import { normalizeScope, parseScope, scopeContains, validateGuid, validateId, MAX_ID_LENGTH, type IdKind } from '../../bot/azure/validate';
import { FUZZ_RUNS } from '../fuzz';

/** Pieces of ids and scopes, benign and hostile. */
const PIECES = [
  'TooManyOwnersAssignedToResource', 'a', 'Z', '0', '-', '_', '.', '..', '/', '\\', '?', '#', '%', '%2e', '%2F', '%252e', '&', '=', ' ', '\t', '\n', '\u0000', '\u00a0',
  'é', '日本', '🙂', '(', ')', 'api-version=2015-07-01', 'roleAssignments', 'subscriptions', 'SUBSCRIPTIONS', 'resourceGroups', 'resourcegroups', 'providers',
  'Microsoft.Management', 'microsoft.management', 'managementGroups', 'MANAGEMENTGROUPS', 'afa2a084-766f-4003-8ae1-c4aeb893a99f', 'AFA2A084-766F-4003-8AE1-C4AEB893A99F',
];

const text = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((p) => p.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 150 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 150 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{1,140}$/) },
);

/** Scope-shaped input: the three forms, each segment from anything above, with any leading slash and casing. */
const segment = fc.oneof(fc.constantFrom(...PIECES), text, fc.uuid());
const scopeInput = fc.oneof(
  fc.tuple(fc.constantFrom('', '/'), fc.constantFrom('subscriptions', 'Subscriptions'), segment).map(([lead, s, sub]) => `${lead}${s}/${sub}`),
  fc.tuple(fc.constantFrom('', '/'), fc.uuid(), fc.constantFrom('resourceGroups', 'RESOURCEGROUPS'), segment).map(([lead, sub, rg, name]) => `${lead}subscriptions/${sub}/${rg}/${name}`),
  fc.tuple(fc.constantFrom('', '/'), fc.constantFrom('providers/Microsoft.Management/managementGroups', 'PROVIDERS/microsoft.management/MANAGEMENTGROUPS'), segment).map(([lead, p, mg]) => `${lead}${p}/${mg}`),
  fc.array(segment, { maxLength: 6 }).map((parts) => parts.join('/')),
  text,
);

const UNSAFE_IN_PATH = /[/\\?#%\s\p{Cc}]/u;

function refusedWith(err: unknown, code: string): void {
  assert.ok(err instanceof PimValidationError, `threw ${String(err)}`);
  assert.equal(err.code, code);
  assert.ok(!/[\r\n]/.test(err.message) && err.message.length < 600, err.message);
}

describe('id and scope validation: properties', () => {
  it('validateId accepts only a plain path segment, returned unchanged (fast-check)', () => {
    fc.assert(
      fc.property(fc.constantFrom<IdKind>('alert', 'incident', 'operation', 'alertDefinition'), text, (kind, id) => {
        let out: string;
        try {
          out = validateId(kind, id);
        } catch (err) {
          refusedWith(err, PimErrorCode.InvalidId);
          return;
        }
        assert.equal(out, id);
        assert.ok(out.length >= 1 && out.length <= MAX_ID_LENGTH);
        assert.match(out, /^[A-Za-z0-9_.-]+$/);
        assert.ok(!UNSAFE_IN_PATH.test(out) && !out.includes('..') && out !== '.', out);
        assert.equal(encodeURIComponent(out), out, 'nothing in it needs encoding');
        assert.equal(validateId(kind, out), out);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('parseScope accepts only the three scope shapes, in one canonical form that is a fixed point (fast-check)', () => {
    fc.assert(
      fc.property(scopeInput, (input) => {
        let parsed: ReturnType<typeof parseScope>;
        try {
          parsed = parseScope(input);
        } catch (err) {
          refusedWith(err, PimErrorCode.InvalidScope);
          return;
        }
        const { scope } = parsed;
        const segments = scope.split('/');
        assert.ok(segments.every((s) => s !== '' && s !== '.' && s !== '..' && !UNSAFE_IN_PATH.test(s)), scope);
        assert.ok(!scope.startsWith('/') && !scope.endsWith('/'));
        if (parsed.kind === 'subscription') {
          assert.equal(scope, `subscriptions/${parsed.subscriptionId}`);
          assert.match(parsed.subscriptionId!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        } else if (parsed.kind === 'resourceGroup') {
          assert.equal(scope, `subscriptions/${parsed.subscriptionId}/resourceGroups/${parsed.resourceGroup}`);
          assert.match(parsed.resourceGroup!, /^[\p{L}\p{N}_\-.()]{1,90}$/u);
          assert.ok(!parsed.resourceGroup!.endsWith('.'));
        } else {
          assert.equal(scope, `providers/Microsoft.Management/managementGroups/${parsed.managementGroupId}`);
          assert.match(parsed.managementGroupId!, /^[A-Za-z0-9_\-.()]{1,90}$/);
        }
        // Idempotent, and the leading slash and the casing of the fixed words make no difference.
        assert.equal(normalizeScope(scope), scope);
        assert.equal(normalizeScope(`/${scope}`), scope);
        const shouted = segments.map((s, i) => (segments[0] === 'subscriptions' ? (i === 0 || i === 2 ? s.toUpperCase() : s) : i < 3 ? s.toUpperCase() : s)).join('/');
        assert.equal(normalizeScope(shouted), scope);
        assert.equal(scopeContains(scope, scope), true);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('scopeContains never throws and never claims anything for an invalid scope (fast-check)', () => {
    fc.assert(
      fc.property(scopeInput, scopeInput, (a, b) => {
        const contains = scopeContains(a, b);
        const valid = (s: string) => {
          try {
            parseScope(s);
            return true;
          } catch {
            return false;
          }
        };
        if (!valid(a) || !valid(b)) assert.equal(contains, false);
        if (contains) assert.ok(normalizeScope(b).toLowerCase().startsWith(normalizeScope(a).toLowerCase()));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('validateGuid returns a lower-case GUID or refuses (fast-check)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), text), (value) => {
        let out: string;
        try {
          out = validateGuid('principal id', value);
        } catch (err) {
          refusedWith(err, PimErrorCode.InvalidId);
          return;
        }
        assert.match(out, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.equal(out, value.toLowerCase());
        assert.equal(validateGuid('principal id', out), out);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
