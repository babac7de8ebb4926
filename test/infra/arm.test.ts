// The template model itself: if it parsed or evaluated loosely, the template tests would pass
// on templates Azure refuses.
import assert from 'node:assert/strict';
import { ArmError, calls, deploy, isExpression, parseExpression, resolveVariables, unresolvedReferences, type Template } from './arm';
import { envReadsIn } from './envVars';

const SUB = '00000000-0000-4000-8000-000000000001';
const ctx = {
  scope: 'resourceGroup' as const,
  subscriptionId: SUB,
  tenantId: '00000000-0000-4000-8000-000000000002',
  resourceGroup: { name: 'rg', location: 'westeurope' },
  runtime: () => ({ clientId: 'the-client-id', nested: { Value: 42 } }),
};

function template(partial: Partial<Template>): Template {
  return { $schema: 'x', contentVersion: '1.0.0.0', resources: [], ...partial };
}

describe('ARM template model (test/infra/arm.ts)', () => {
  it('parses calls, string escapes, member and index access', () => {
    const e = parseExpression("format('{0}''s {1}', parameters('a').b[0], variables('v')['k'])");
    assert.equal(e.kind, 'call');
    assert.deepEqual(
      calls(e).map((c) => c.name),
      ['format', 'parameters', 'variables'],
    );
    const fmt = e.kind === 'call' ? e.args[0] : undefined;
    assert.deepEqual(fmt, { kind: 'string', value: "{0}'s {1}" });
    assert.throws(() => parseExpression("concat('a'"), ArmError);
    assert.throws(() => parseExpression("concat('a') extra"), ArmError);
    assert.throws(() => parseExpression("'unterminated"), ArmError);
  });

  it('treats "[[" as a literal bracket and only [...] as an expression', () => {
    assert.equal(isExpression("[parameters('a')]"), true);
    assert.equal(isExpression("[[parameters('a')]"), false);
    assert.equal(isExpression('plain'), false);
    const d = deploy(template({ outputs: { o: { type: 'string', value: "[[not an expression]" } } }), {}, ctx);
    assert.equal(d.outputs.o, '[not an expression]');
  });

  it('evaluates parameters with defaults and refuses values outside their declaration', () => {
    const t = template({
      parameters: {
        a: { type: 'string', allowedValues: ['x', 'y'], defaultValue: 'x' },
        n: { type: 'int', minValue: 1, maxValue: 3, defaultValue: 2 },
        s: { type: 'securestring', minLength: 4 },
        loc: { type: 'string', defaultValue: '[resourceGroup().location]' },
      },
      outputs: { o: { type: 'string', value: "[format('{0}-{1}-{2}', parameters('a'), parameters('n'), parameters('loc'))]" } },
    });
    assert.equal(deploy(t, { s: 'abcd' }, ctx).outputs.o, 'x-2-westeurope');
    assert.throws(() => deploy(t, {}, ctx), /'s' has no value/);
    assert.throws(() => deploy(t, { s: 'abc' }, ctx), /shorter than 4/);
    assert.throws(() => deploy(t, { s: 'abcd', a: 'z' }, ctx), /must be one of/);
    assert.throws(() => deploy(t, { s: 'abcd', n: 4 }, ctx), /above 3/);
    assert.throws(() => deploy(t, { s: 'abcd', n: '2' }, ctx), /must be int/);
    assert.throws(() => deploy(t, { s: 'abcd', extra: 1 }, ctx), /does not declare/);
  });

  it('builds resource ids, evaluates reference() only for deployed resources, and records what each resource names', () => {
    const t = template({
      variables: { idName: 'id1', identityId: "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('idName'))]" },
      resources: [
        { type: 'Microsoft.ManagedIdentity/userAssignedIdentities', apiVersion: '2024-11-30', name: "[variables('idName')]" },
        {
          type: 'Microsoft.Web/sites',
          apiVersion: '2024-11-01',
          name: 'site1',
          dependsOn: ["[variables('identityId')]"],
          properties: { clientId: "[reference(variables('identityId'), '2024-11-30').clientId]", deep: "[reference(variables('identityId')).nested.value]" },
        },
        { type: 'Microsoft.Web/sites/config', apiVersion: '2024-11-01', name: 'site1/web' },
      ],
    });
    const d = deploy(t, {}, ctx);
    const site = d.find('Microsoft.Web/sites');
    assert.equal(site.id, `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/site1`);
    assert.equal(d.find('Microsoft.Web/sites/config').id, `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/site1/config/web`);
    assert.deepEqual(site.body.properties, { clientId: 'the-client-id', deep: 42 });
    const identityId = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1`;
    assert.deepEqual([...site.refs], [identityId.toLowerCase()]);
    assert.deepEqual(site.dependsOn, [identityId.toLowerCase()]);
    assert.deepEqual(d.referenceCalls, [
      { id: identityId, apiVersion: '2024-11-30' },
      { id: identityId, apiVersion: undefined },
    ]);

    const bad = template({ resources: [{ type: 'Microsoft.Web/sites', apiVersion: 'v', name: 's', properties: { x: "[reference(resourceId('Microsoft.Web/sites', 'other')).y]" } }] });
    assert.throws(() => deploy(bad, {}, ctx), /does not deploy/);
    const wrongSegments = template({ resources: [{ type: 'Microsoft.Web/sites/config', apiVersion: 'v', name: 'onlyone' }] });
    assert.throws(() => deploy(wrongSegments, {}, ctx), /needs 2 name segment/);
  });

  it('gives extension resources (scope) the id extensionResourceId() computes', () => {
    const t = template({
      variables: { stId: "[resourceId('Microsoft.Storage/storageAccounts', 'st1')]" },
      resources: [
        { type: 'Microsoft.Storage/storageAccounts', apiVersion: 'v', name: 'st1' },
        { type: 'Microsoft.Authorization/roleAssignments', apiVersion: 'v', name: "[guid('a')]", scope: 'Microsoft.Storage/storageAccounts/st1' },
      ],
      outputs: { id: { type: 'string', value: "[extensionResourceId(variables('stId'), 'Microsoft.Authorization/roleAssignments', guid('a'))]" } },
    });
    const d = deploy(t, {}, ctx);
    assert.equal(d.find('Microsoft.Authorization/roleAssignments').id, d.outputs.id);
  });

  it('evaluates only the branch if() returns, and case-insensitively like ARM', () => {
    const t = template({
      parameters: { p: { type: 'string', defaultValue: '' } },
      outputs: {
        o: { type: 'string', value: "[IF(Empty(parameters('p')), 'fallback', reference(resourceId('Microsoft.Web/sites', 'nope')).x)]" },
        u: { type: 'string', value: "[toLower(subscription().TENANTID)]" },
      },
    });
    const d = deploy(t, {}, ctx);
    assert.equal(d.outputs.o, 'fallback');
    assert.equal(d.outputs.u, ctx.tenantId);
  });

  it('refuses unknown functions, undeclared names, self-referencing variables and newGuid() outside defaults', () => {
    assert.throws(() => deploy(template({ outputs: { o: { type: 'string', value: "[listKeys('x', 'y')]" } } }), {}, ctx), /not modelled/);
    assert.throws(() => deploy(template({ outputs: { o: { type: 'string', value: "[parameters('nope')]" } } }), {}, ctx), /not declared/);
    assert.throws(() => deploy(template({ variables: { a: "[variables('b')]", b: "[variables('a')]" }, outputs: { o: { type: 'string', value: "[variables('a')]" } } }), {}, ctx), /refers to itself/);
    assert.throws(() => deploy(template({ outputs: { o: { type: 'string', value: '[newGuid()]' } } }), {}, ctx), /defaultValue/);
    const withDefault = template({ parameters: { g: { type: 'string', defaultValue: '[newGuid()]' } }, outputs: { o: { type: 'string', value: "[parameters('g')]" } } });
    assert.match(String(deploy(withDefault, {}, ctx).outputs.o), /^[0-9a-f-]{36}$/);
  });

  it('guid() and uniqueString() are deterministic and shaped like Azure\'s', () => {
    const t = template({ outputs: { g: { type: 'string', value: "[guid('a', 'b')]" }, u: { type: 'string', value: "[uniqueString('a')]" } } });
    const one = deploy(t, {}, ctx).outputs;
    const two = deploy(t, {}, ctx).outputs;
    assert.deepEqual(one, two);
    assert.match(String(one.g), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(String(one.u), /^[a-z2-7]{13}$/);
  });

  it('the static scan reports unresolved and unused names', () => {
    const t = template({
      parameters: { used: { type: 'string' }, unused: { type: 'string' } },
      variables: { v: "[parameters('used')]", ghost: 'x' },
      resources: [{ type: 'Microsoft.Web/sites', apiVersion: 'v', name: "[variables('v')]", properties: { a: "[variables('missing')]", b: "[resourceId('Microsoft.Sql/servers', 'x')]", c: "[reference('byName').x]", d: '[frobnicate()]' } }],
    });
    const problems = unresolvedReferences(t).map((p) => p.problem);
    assert.deepEqual(problems.sort(), [
      "parameter 'unused' is never used",
      "resourceId('Microsoft.Sql/servers', …) names a type this template does not deploy",
      'reference() must name its resource through resourceId() or a variable holding one',
      'unknown function frobnicate()',
      "variable 'ghost' is never used",
      "variables('missing') is not declared",
    ].sort());
  });

  it('follows variables to the expression they hold', () => {
    const t = template({ variables: { a: "[variables('b')]", b: "[guid('x')]" } });
    assert.equal(resolveVariables(t, "[variables('a')]"), "[guid('x')]");
    assert.equal(resolveVariables(t, 'literal'), 'literal');
  });
});

describe('environment variable scan (test/infra/envVars.ts)', () => {
  it('finds env.X, process.env.X, env["X"] and helper(env, "X") reads, and nothing in strings or comments', () => {
    const src = `
      // env.IN_A_COMMENT is not a read
      const a = env.FIRST?.trim();
      const b = process.env.SECOND;
      const c = env['THIRD'];
      const d = str(env, 'FOURTH');
      const e = int(env, \`FIFTH\`, 1, 0, 9);
      const f = 'env.IN_A_STRING';
      const g = other.env;
      const h = { ...env, NOT_A_READ: '1' };
      const { SIXTH, SEVENTH: renamed } = process.env;
    `;
    assert.deepEqual(
      envReadsIn(src).map((r) => r.name),
      ['FIRST', 'SECOND', 'THIRD', 'FOURTH', 'FIFTH', 'SIXTH', 'SEVENTH'],
    );
  });
});
