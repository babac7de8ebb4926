// The default world the local run and the tests rely on: enough variety to show every card, and
// the ids Microsoft's examples and the Playground use.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ALERT_KINDS, ALERT_KIND_NAMES } from '../../sim/model';
import { defaultSeed, freshSeed, EXAMPLE_SCOPE, PLAYGROUND_USER_OBJECT_ID, PLAYGROUND_READER_OBJECT_ID, PRINCIPAL_IDS, SCOPES } from '../../sim/seed';
import { simulatorOptionsFromEnv } from '../../sim/main';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('simulator seed', () => {
  const seed = defaultSeed();

  it('is deterministic and handed out as a fresh copy', () => {
    const again = defaultSeed();
    assert.deepEqual(again, seed);
    again.scopes[0]!.alerts[0]!.incidents.length = 0;
    assert.notEqual(defaultSeed().scopes[0]!.alerts[0]!.incidents.length, 0);
  });

  it('has at least three subscriptions and a resource group, each with a display name and all four alerts', () => {
    const subs = seed.scopes.filter((s) => /^subscriptions\/[^/]+$/.test(s.id));
    assert.ok(subs.length >= 3);
    assert.ok(seed.scopes.some((s) => /\/resourceGroups\//.test(s.id)));
    for (const s of seed.scopes) {
      assert.ok(!s.id.startsWith('/'), 'scopes have no leading slash');
      assert.match(s.displayName, /^[A-Z]/);
      assert.deepEqual(s.alerts.map((a) => a.alertId).sort(), [...ALERT_KIND_NAMES].sort());
    }
    assert.equal(new Set(seed.scopes.map((s) => s.displayName)).size, seed.scopes.length, 'display names tell scopes apart');
  });

  it('raises different alerts per scope, every kind somewhere, and one subscription with none', () => {
    const activeSets = seed.scopes.map((s) => s.alerts.filter((a) => a.isActive).map((a) => a.alertId).sort().join(','));
    assert.ok(new Set(activeSets).size >= 4);
    for (const kind of ALERT_KIND_NAMES) assert.ok(seed.scopes.some((s) => s.alerts.some((a) => a.alertId === kind && a.isActive)), kind);
    assert.ok(seed.scopes.some((s) => s.alerts.every((a) => !a.isActive && a.incidents.length === 0)));
  });

  it("keeps every incident consistent with its alert's kind, with each kind's fields", () => {
    const ids = new Set<string>();
    for (const s of seed.scopes) {
      for (const a of s.alerts) {
        assert.equal(a.isActive, a.incidents.length > 0, `${s.id} ${a.alertId}: active exactly when it has incidents`);
        for (const i of a.incidents) {
          assert.match(i.name, GUID);
          assert.equal(i.properties.alertIncidentType, ALERT_KINDS[a.alertId].incidentType);
          ids.add(`${s.id}/${a.alertId}/${i.name}`);
          if (a.alertId === 'AzureRolesAssignedOutsidePimAlert') {
            for (const f of ['assigneeDisplayName', 'assigneeUserPrincipalName', 'assigneeId', 'roleDisplayName', 'roleDefinitionId', 'assignmentActivatedDate', 'requestorDisplayName', 'requestorUserPrincipalName']) {
              assert.equal(typeof i.properties[f], 'string', `${i.name}.${f}`);
            }
          }
          if (a.alertId === 'DuplicateRoleCreated') {
            for (const f of ['roleName', 'duplicateRoles', 'reason']) assert.equal(typeof i.properties[f], 'string', `${i.name}.${f}`);
          }
        }
      }
    }
    assert.ok(ids.size >= 12);
  });

  it("holds the examples' ids in the example subscription", () => {
    const example = seed.scopes.find((s) => s.id === EXAMPLE_SCOPE)!;
    const incidentsOf = (id: string) => example.alerts.find((a) => a.alertId === id)!.incidents.map((i) => i.name);
    assert.ok(incidentsOf('TooManyOwnersAssignedToResource').includes('5cf9ee65-d22e-4784-8b17-3de1c3b7bdcc'));
    assert.ok(incidentsOf('TooManyOwnersAssignedToResource').includes('a9f38501-74ec-43ea-8663-6c538602150d'));
    assert.ok(incidentsOf('DuplicateRoleCreated').includes('0645231d-16ba-4ebf-851a-0875df4052bd'));
    assert.equal(example.displayName, 'Contoso Production');
  });

  it("seeds the local run's Playground users: Alex Wilber Owner of every subscription, Megan Bowen a Reader", () => {
    // The ids the Playground sends come from sim/playground.yml, which `npm start` hands to it.
    const yml = fs.readFileSync(path.join(__dirname, '..', '..', 'sim', 'playground.yml'), 'utf8');
    const ids = [...yml.matchAll(/aadObjectId: ([0-9a-f-]+)/g)].map((m) => m[1]);
    assert.equal(ids[0], PLAYGROUND_USER_OBJECT_ID);
    assert.equal(ids[1], PLAYGROUND_READER_OBJECT_ID);
    const subs = seed.scopes.filter((s) => !s.id.includes('/resourceGroups/')).map((s) => `/${s.id}`);
    const owned = seed.roleAssignments.filter((a) => a.principalId === PLAYGROUND_USER_OBJECT_ID && a.roleDefinitionName === '8e3af657-a8ff-443c-a75c-2fe8c4bcb635').map((a) => a.scope);
    assert.deepEqual(owned.sort(), subs.sort());
    assert.ok(seed.roleAssignments.some((a) => a.principalId === PLAYGROUND_READER_OBJECT_ID && a.roleDefinitionName === 'acdd72a7-3d1f-4e2b-ac9f-d41a8c79c6b8'));
  });

  it("seeds one deny assignment: it blocks the resource group's Owner and leaves the Playground user out", () => {
    const [deny, ...rest] = seed.denyAssignments;
    assert.equal(rest.length, 0);
    assert.equal(deny!.scope, `/${SCOPES.payments}`);
    assert.ok(seed.roleAssignments.some((a) => a.principalId === PRINCIPAL_IDS.resourceGroupOwner && a.scope === deny!.scope), 'Noah Berg is Owner exactly there');
    assert.deepEqual(deny!.principals.map((p) => p.id), ['00000000-0000-0000-0000-000000000000']);
    assert.deepEqual(deny!.excludePrincipals.map((p) => p.id), [PLAYGROUND_USER_OBJECT_ID]);
  });

  it('names a principal for every exported id and gives the group a member', () => {
    const known = new Set(seed.principals.map((p) => p.id));
    for (const id of Object.values(PRINCIPAL_IDS)) assert.ok(known.has(id), id);
    assert.ok(seed.principals.some((p) => p.memberOf?.includes(PRINCIPAL_IDS.pimOperatorsGroup)));
    for (const a of seed.roleAssignments) {
      assert.ok(seed.roleDefinitions.some((d) => d.name === a.roleDefinitionName), a.name);
      assert.ok(known.has(a.principalId), a.name);
    }
    assert.ok(SCOPES.payments.startsWith(SCOPES.production));
  });
});

describe('simulator options from the environment', () => {
  it('reads port, token, timings, faults and page size', () => {
    const o = simulatorOptionsFromEnv({ SIM_PORT: '4011', SIM_REQUIRE_TOKEN: 'abc', SIM_REFRESH_MS: '500', SIM_LATENCY_MS: '20', SIM_RATE_429: '0.1', SIM_RATE_500: '0', SIM_PAGE_SIZE: '5' });
    assert.deepEqual(o, { port: 4011, requireToken: 'abc', refreshDurationMs: 500, pageSize: 5, faults: { latencyMs: 20, rate429: 0.1, rate500: 0 } });
  });

  it('defaults to port 4010 without a token; true/false words switch the token check', () => {
    assert.equal(simulatorOptionsFromEnv({}).port, 4010);
    assert.equal(simulatorOptionsFromEnv({}).requireToken, false);
    assert.equal(simulatorOptionsFromEnv({ SIM_REQUIRE_TOKEN: 'true' }).requireToken, true);
    assert.equal(simulatorOptionsFromEnv({ SIM_REQUIRE_TOKEN: '0' }).requireToken, false);
  });

  it('refuses nonsense with a message naming the variable', () => {
    assert.throws(() => simulatorOptionsFromEnv({ SIM_RATE_500: '5' }), /SIM_RATE_500/);
    assert.throws(() => simulatorOptionsFromEnv({ SIM_PORT: 'eighty' }), /SIM_PORT/);
  });

  it('freshSeed moves every date by one amount so the newest scan is two hours old (the local run)', () => {
    const now = new Date('2026-11-29T12:00:00Z');
    const base = defaultSeed();
    const fresh = freshSeed(now, base);
    const scans = (d: typeof base) => d.scopes.flatMap((sc) => sc.alerts.map((a) => Date.parse(a.lastScannedDateTime)));
    assert.equal(Math.max(...scans(fresh)), now.getTime() - 2 * 3600_000);
    const shift = scans(fresh)[0]! - scans(base)[0]!;
    assert.ok(scans(fresh).every((t, i) => t - scans(base)[i]! === shift), 'one shift for all');
    const dated = (d: typeof base) => d.scopes.flatMap((sc) => sc.alerts.flatMap((a) => a.incidents.map((i) => i.properties.assignmentActivatedDate))).filter((v): v is string => typeof v === 'string');
    assert.ok(dated(base).length > 0, 'some incidents carry dates');
    assert.ok(dated(fresh).every((v, i) => Date.parse(v) - Date.parse(dated(base)[i]!) === shift));
    assert.equal(base.scopes[0]!.alerts[0]!.lastScannedDateTime, defaultSeed().scopes[0]!.alerts[0]!.lastScannedDateTime, 'the default seed is untouched');
  });

  it("freshSeed moves the directory's dates too, so its newest scan is two hours old, and keeps Graph's year-1 'never'", () => {
    const now = new Date('2026-11-29T12:00:00Z');
    const base = defaultSeed().directory!;
    const fresh = freshSeed(now).directory!;
    const scans = fresh.alerts.map((a) => Date.parse(a.lastScannedDateTime));
    assert.equal(Math.max(...scans), now.getTime() - 2 * 3600_000);
    const never = fresh.alerts.filter((a) => a.lastModifiedDateTime === '0001-01-01T08:00:00Z');
    assert.equal(never.length, base.alerts.filter((a) => a.lastModifiedDateTime === '0001-01-01T08:00:00Z').length);
    assert.ok(never.length > 0);
    const created = fresh.alerts.flatMap((a) => a.incidents.map((i) => i['assignmentCreatedDateTime'])).filter((v): v is string => typeof v === 'string');
    assert.ok(created.length > 0 && created.every((v) => Date.parse(v) <= now.getTime()));
  });

  it('seeds a directory whose local-run people can act (Alex directly, Tomás through a group) or only read (Megan)', () => {
    const d = defaultSeed().directory!;
    assert.equal(d.alerts.length, 7);
    assert.ok(d.alerts.some((a) => a.isActive && a.incidents.length > 0));
    const pra = 'e8611ab8-c189-46e8-94e1-60213ab1f814';
    const holds = (principal: string) => d.roleAssignments.filter((r) => r.principalId === principal && r.directoryScopeId === '/').map((r) => r.roleDefinitionId);
    assert.deepEqual(holds(PLAYGROUND_USER_OBJECT_ID), [pra]);
    assert.deepEqual(holds(PRINCIPAL_IDS.pimOperatorsGroup), [pra]);
    assert.ok(!holds(PLAYGROUND_READER_OBJECT_ID).includes(pra));
    for (const a of d.alerts) for (const i of a.incidents) assert.match(i.id, GUID);
  });
});
