// ARM path parsing on its own: which scopes are recognised and where the provider part starts.
import assert from 'node:assert/strict';
import { ArmError } from '../../sim/arm';
import { parseArmPath } from '../../sim/paths';

const SUB = 'afa2a084-766f-4003-8ae1-c4aeb893a99f';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ArmError);
    return err.code;
  }
  assert.fail('expected an ArmError');
}

describe('simulator: ARM path parsing', () => {
  it('recognises subscription, resource group, resource, management group and tenant scopes', () => {
    assert.deepEqual(parseArmPath(`/subscriptions/${SUB}/providers/Microsoft.Authorization/roleManagementAlerts`), {
      scope: { kind: 'subscription', path: `subscriptions/${SUB}`, subscriptionId: SUB },
      resource: ['roleManagementAlerts'],
    });
    assert.equal(parseArmPath(`/subscriptions/${SUB}/resourceGroups/rg-a.b(c)/providers/Microsoft.Authorization/roleAssignments`)!.scope.resourceGroup, 'rg-a.b(c)');
    const resource = parseArmPath(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Authorization/roleAssignments`)!;
    assert.equal(resource.scope.kind, 'resource');
    assert.deepEqual(resource.resource, ['roleAssignments']);
    assert.equal(parseArmPath('/providers/Microsoft.Management/managementGroups/contoso-root/providers/Microsoft.Authorization/roleAssignments')!.scope.kind, 'managementGroup');
    assert.equal(parseArmPath('/providers/Microsoft.Authorization/roleDefinitions/x')!.scope.kind, 'tenant');
  });

  it("reads the service's /providers/Microsoft.Subscription/ resourceLocation form as the subscription scope", () => {
    const parsed = parseArmPath(`/providers/Microsoft.Subscription/subscriptions/${SUB}/providers/Microsoft.Authorization/roleManagementAlerts/DuplicateRoleCreated`)!;
    assert.equal(parsed.scope.path, `subscriptions/${SUB}`);
    assert.deepEqual(parsed.resource, ['roleManagementAlerts', 'DuplicateRoleCreated']);
  });

  it('returns undefined for a path outside Microsoft.Authorization', () => {
    assert.equal(parseArmPath(`/subscriptions/${SUB}/resourceGroups`), undefined);
  });

  it('rejects malformed scopes and unsafe segments', () => {
    assert.equal(code(() => parseArmPath('/subscriptions/123/providers/Microsoft.Authorization/roleManagementAlerts')), 'InvalidSubscriptionId');
    assert.equal(code(() => parseArmPath(`/subscriptions/${SUB}/resourceGroups/rg./providers/Microsoft.Authorization/x`)), 'InvalidResourceGroupName');
    assert.equal(code(() => parseArmPath('/tenants/x/providers/Microsoft.Authorization/roleManagementAlerts')), 'InvalidScope');
    assert.equal(code(() => parseArmPath(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/providers/Microsoft.Authorization/x`)), 'InvalidScope');
    for (const bad of ['relative/path', `/subscriptions/${SUB}/./providers`, `/subscriptions/${SUB}/%2e%2e/providers`, `/subscriptions/${SUB}/a%00b`, `/subscriptions/${SUB}/a%5Cb`]) {
      assert.equal(code(() => parseArmPath(bad)), 'InvalidRequestUri', bad);
    }
  });
});
