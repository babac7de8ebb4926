// infra/grant-scope.json: the identity's role on one watched subscription, idempotent by name.
import assert from 'node:assert/strict';
import { deploy, parseValue, resolveVariables, SCHEMAS, unresolvedReferences, type Template } from './arm';
import { API_VERSIONS, BUILT_IN_ROLES, EXTERNAL_TYPES } from './azureFacts';
import { GRANT_FILE, PRINCIPAL_ID, readJson, SUBSCRIPTION_ID, TENANT_ID } from './deployment';

const template = readJson<Template>(GRANT_FILE);
const ROLES = ['User Access Administrator', 'Owner', 'Reader'] as const;
const OTHER_SUBSCRIPTION = '0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a';

function grant(role: string, principalId = PRINCIPAL_ID, subscriptionId = SUBSCRIPTION_ID) {
  return deploy(template, { principalId, role }, {
    scope: 'subscription',
    subscriptionId,
    tenantId: TENANT_ID,
    runtime: () => {
      throw new Error('grant-scope.json calls no reference()');
    },
  });
}

describe('infra/grant-scope.json', () => {
  it('is a subscription deployment template whose references all resolve', () => {
    assert.equal(template.$schema, SCHEMAS.subscription);
    assert.deepEqual(unresolvedReferences(template, EXTERNAL_TYPES), []);
  });

  it('offers exactly Owner, User Access Administrator and Reader, with no default, and takes the principal id without one', () => {
    assert.deepEqual([...(template.parameters!.role!.allowedValues as string[])].sort(), [...ROLES].sort());
    assert.ok(!('defaultValue' in template.parameters!.role!), 'the role is a deliberate choice');
    assert.ok(!('defaultValue' in template.parameters!.principalId!));
    assert.throws(() => grant('Contributor'), /must be one of/);
    assert.throws(() => grant('Owner', 'not-a-guid'), /shorter than 36/);
  });

  for (const role of ROLES) {
    it(`assigns the built-in ${role} role to the identity as a service principal`, () => {
      const d = grant(role);
      const ra = d.find('Microsoft.Authorization/roleAssignments');
      assert.equal(ra.apiVersion, API_VERSIONS['Microsoft.Authorization/roleAssignments']!.value);
      const props = ra.body.properties as Record<string, string>;
      assert.equal(props.roleDefinitionId, `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES[role]!.value}`);
      assert.equal(props.principalId, PRINCIPAL_ID);
      assert.equal(props.principalType, 'ServicePrincipal');
      assert.equal(ra.id, `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleAssignments/${ra.name}`);
      assert.equal(d.outputs.roleAssignmentId, ra.id);
    });
  }

  it('names the assignment with guid() of subscription, principal and role: the same on redeploy, different otherwise', () => {
    const nameExpr = parseValue(resolveVariables(template, template.resources[0]!.name));
    assert.ok(nameExpr?.kind === 'call' && nameExpr.name === 'guid');
    const name = (role: string, principal?: string, sub?: string) => grant(role, principal, sub).find('Microsoft.Authorization/roleAssignments').name;
    assert.equal(name('Owner'), name('Owner'));
    const variants = new Set([name('Owner'), name('Reader'), name('User Access Administrator'), name('Owner', '1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b'), name('Owner', undefined, OTHER_SUBSCRIPTION)]);
    assert.equal(variants.size, 5);
  });
});
