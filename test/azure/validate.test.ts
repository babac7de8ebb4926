import assert from 'node:assert/strict';
import { PimAlertsClient } from '../../bot/azure/client';
import { PimValidationError } from '../../bot/azure/errors';
import { RbacClient, normalizeRoleDefinitionId } from '../../bot/azure/rbac';
import { normalizeScope, parseArmEndpoint, parseScope, scopeContains, validateId } from '../../bot/azure/validate';
import { FakeCredential, FakeHttpClient, SCOPE, SUB } from './fakes';

function isValidationError(code: string, messagePart?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof PimValidationError, `expected PimValidationError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (messagePart) assert.match(e.message, messagePart);
    return true;
  };
}

// Ids an attacker (or a confused user) might paste into a command or forge in a card action.
const BAD_IDS: Array<[string, string]> = [
  ['empty', ''],
  ['parent segment', '..'],
  ['current segment', '.'],
  ['embedded parent', 'a..b'],
  ['traversal with slash', '../../roleAssignments'],
  ['slash', 'TooManyOwners/x'],
  ['leading slash', '/TooManyOwners'],
  ['backslash', 'TooManyOwners\\..'],
  ['query', 'TooManyOwners?api-version=2015-07-01'],
  ['fragment', 'TooManyOwners#x'],
  ['encoded dots lower', '%2e%2e'],
  ['encoded dots mixed', '%2E%2e'],
  ['encoded dot and dot', '.%2e'],
  ['double-encoded dots', '%252e%252e'],
  ['encoded slash', 'a%2fb'],
  ['encoded slash upper', 'a%2Fb'],
  ['encoded backslash', 'a%5cb'],
  ['any escape', 'a%41'],
  ['newline', 'TooManyOwners\n'],
  ['carriage return', 'a\rb'],
  ['tab', 'a\tb'],
  ['NUL', 'a\u0000b'],
  ['DEL', 'a\u007fb'],
  ['space', 'Too Many'],
  ['unicode slash look-alike', 'a\u2215b'],
  ['fullwidth dot', '\uff0e\uff0e'],
  ['over-long', 'a'.repeat(129)],
];

const BAD_SCOPES: Array<[string, string]> = [
  ['empty', ''],
  ['just a slash', '/'],
  ['subscription without id', 'subscriptions'],
  ['subscription id not a GUID', 'subscriptions/not-a-guid'],
  ['traversal after subscription', `subscriptions/${SUB}/..`],
  ['traversal to another subscription', `subscriptions/${SUB}/../../subscriptions/00000000-0000-0000-0000-000000000000`],
  ['encoded traversal', `subscriptions/${SUB}/resourceGroups/%2e%2e`],
  ['resource group parent segment', `subscriptions/${SUB}/resourceGroups/..`],
  ['resource group ending in a period', `subscriptions/${SUB}/resourceGroups/rg.`],
  ['resource group with slash', `subscriptions/${SUB}/resourceGroups/rg/providers/x`],
  ['resource group too long', `subscriptions/${SUB}/resourceGroups/${'r'.repeat(91)}`],
  ['resource group with space', `subscriptions/${SUB}/resourceGroups/my rg`],
  ['resource group with percent', `subscriptions/${SUB}/resourceGroups/rg%2f`],
  ['trailing slash', `subscriptions/${SUB}/`],
  ['double slash', `subscriptions//${SUB}`],
  ['two leading slashes', `//subscriptions/${SUB}`],
  ['query', `subscriptions/${SUB}?x=1`],
  ['fragment', `subscriptions/${SUB}#x`],
  ['backslash', `subscriptions\\${SUB}`],
  ['newline', `subscriptions/${SUB}\n`],
  ['leading space', ` subscriptions/${SUB}`],
  ['a resource, not a scope', `subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm`],
  ['other provider', 'providers/Microsoft.Authorization/roleDefinitions/x'],
  ['management group parent segment', 'providers/Microsoft.Management/managementGroups/..'],
  ['management group ending in a period', 'providers/Microsoft.Management/managementGroups/mg.'],
  ['management group with escape', 'providers/Microsoft.Management/managementGroups/mg%2f'],
  ['management group too long', `providers/Microsoft.Management/managementGroups/${'m'.repeat(91)}`],
  ['tenant root', '/'],
  ['absolute URL', `https://management.azure.com/subscriptions/${SUB}`],
];

describe('validate', () => {
  describe('normalizeScope', () => {
    it('accepts the three scope forms with or without a leading slash, without the slash in the result', () => {
      assert.equal(normalizeScope(SCOPE), SCOPE);
      assert.equal(normalizeScope(`/${SCOPE}`), SCOPE);
      assert.equal(normalizeScope(`/${SCOPE}/resourceGroups/rg-prod_1.(eu)`), `${SCOPE}/resourceGroups/rg-prod_1.(eu)`);
      assert.equal(normalizeScope('/providers/Microsoft.Management/managementGroups/contoso-root'), 'providers/Microsoft.Management/managementGroups/contoso-root');
      assert.equal(normalizeScope(`${SCOPE}/resourceGroups/${'r'.repeat(90)}`), `${SCOPE}/resourceGroups/${'r'.repeat(90)}`);
    });

    it('normalises segment names to ARM casing and the subscription GUID to lower case, keeping names as typed', () => {
      assert.equal(normalizeScope(`SUBSCRIPTIONS/${SUB.toUpperCase()}`), SCOPE);
      assert.equal(normalizeScope(`/Subscriptions/${SUB}/RESOURCEGROUPS/MyRG`), `${SCOPE}/resourceGroups/MyRG`);
      assert.equal(normalizeScope('PROVIDERS/microsoft.management/MANAGEMENTGROUPS/Contoso'), 'providers/Microsoft.Management/managementGroups/Contoso');
    });

    it('accepts non-ASCII letters in resource group names, as ARM does', () => {
      assert.equal(normalizeScope(`${SCOPE}/resourceGroups/équipe-données`), `${SCOPE}/resourceGroups/équipe-données`);
    });

    it('reports the kind and parts', () => {
      assert.deepEqual(parseScope(`/${SCOPE}/resourceGroups/rg1`), { kind: 'resourceGroup', scope: `${SCOPE}/resourceGroups/rg1`, subscriptionId: SUB, resourceGroup: 'rg1' });
      assert.equal(parseScope('providers/Microsoft.Management/managementGroups/mg').kind, 'managementGroup');
    });

    for (const [name, input] of BAD_SCOPES) {
      it(`refuses a scope: ${name}`, () => {
        assert.throws(() => normalizeScope(input), isValidationError('InvalidScope', /subscriptions\/<subscription-id>/));
      });
    }

    it('says what form is expected in one sentence', () => {
      assert.throws(
        () => normalizeScope('subscriptions/foo'),
        (e: unknown) => e instanceof PimValidationError && /^The scope "subscriptions\/foo" does not name the subscription by its GUID: use subscriptions\/<subscription-id>, .*, providers\/Microsoft.Management\/managementGroups\/<id> or directory \(Entra ID directory roles\)\.$/.test(e.message),
      );
    });

    it('does not echo control characters or huge input back', () => {
      try {
        normalizeScope(`x\u0007${'y'.repeat(500)}`);
        assert.fail('should throw');
      } catch (e) {
        assert.ok(e instanceof PimValidationError);
        assert.ok(!e.message.includes('\u0007'));
        assert.ok(e.message.length < 400);
      }
    });
  });

  describe('validateId', () => {
    it('accepts plain ids and returns them unchanged', () => {
      assert.equal(validateId('alert', 'TooManyOwnersAssignedToResource'), 'TooManyOwnersAssignedToResource');
      assert.equal(validateId('incident', '5cf9ee65-d22e-4784-8b17-3de1c3b7bdcc'), '5cf9ee65-d22e-4784-8b17-3de1c3b7bdcc');
      assert.equal(validateId('operation', 'op_1.2-3'), 'op_1.2-3');
      assert.equal(validateId('alertDefinition', 'a'.repeat(128)), 'a'.repeat(128));
    });

    for (const [name, id] of BAD_IDS) {
      it(`refuses an id: ${name}`, () => {
        assert.throws(() => validateId('alert', id), isValidationError('InvalidId', /use the plain id/));
      });
    }

    it('names the kind of id in the message', () => {
      assert.throws(() => validateId('incident', '../x'), /The incident id "\.\.\/x"/);
      assert.throws(() => validateId('alertDefinition', 'a/b'), /The alert definition id "a\/b"/);
    });
  });

  describe('scopeContains', () => {
    const RG = `${SCOPE}/resourceGroups/rg1`;
    const MG = 'providers/Microsoft.Management/managementGroups/root';
    it('a subscription contains itself and its resource groups, case-insensitively', () => {
      assert.equal(scopeContains(SCOPE, SCOPE), true);
      assert.equal(scopeContains(SCOPE, RG), true);
      assert.equal(scopeContains(`/${SCOPE.toUpperCase()}`, `${SCOPE}/resourceGroups/RG1`), true);
    });
    it('a resource group contains only itself', () => {
      assert.equal(scopeContains(RG, `/${SCOPE}/resourceGroups/RG1`), true);
      assert.equal(scopeContains(RG, SCOPE), false);
      assert.equal(scopeContains(RG, `${SCOPE}/resourceGroups/rg10`), false);
    });
    it('does not treat a shared prefix as containment', () => {
      assert.equal(scopeContains(`${SCOPE}/resourceGroups/rg`, `${SCOPE}/resourceGroups/rg1`), false);
    });
    it('a management group contains only itself, since its members are not visible in ids', () => {
      assert.equal(scopeContains(MG, MG.toLowerCase()), true);
      assert.equal(scopeContains(MG, SCOPE), false);
      assert.equal(scopeContains(MG, 'providers/Microsoft.Management/managementGroups/child'), false);
      assert.equal(scopeContains(SCOPE, MG), false);
    });
    it('never contains or is contained by an invalid scope', () => {
      assert.equal(scopeContains(SCOPE, `${SCOPE}/resourceGroups/..`), false);
      assert.equal(scopeContains(`${SCOPE}/..`, SCOPE), false);
    });
  });

  describe('parseArmEndpoint', () => {
    it('accepts https origins of any cloud and http only on loopback', () => {
      assert.deepEqual(parseArmEndpoint('https://management.azure.com/'), { origin: 'https://management.azure.com', insecureLoopback: false });
      assert.equal(parseArmEndpoint('https://management.chinacloudapi.cn').origin, 'https://management.chinacloudapi.cn');
      assert.deepEqual(parseArmEndpoint('http://127.0.0.1:7071'), { origin: 'http://127.0.0.1:7071', insecureLoopback: true });
      assert.equal(parseArmEndpoint('http://[::1]:8080').insecureLoopback, true);
      assert.equal(parseArmEndpoint('http://localhost:3978').insecureLoopback, true);
    });
    it('refuses http elsewhere, paths, queries, credentials and other schemes', () => {
      assert.throws(() => parseArmEndpoint('http://management.azure.com'), isValidationError('InsecureEndpoint', /use https/));
      assert.throws(() => parseArmEndpoint('http://10.0.0.4'), isValidationError('InsecureEndpoint'));
      assert.throws(() => parseArmEndpoint('http://127.0.0.1.nip.io'), isValidationError('InsecureEndpoint'));
      assert.throws(() => parseArmEndpoint('https://management.azure.com/subscriptions'), isValidationError('InvalidEndpoint'));
      assert.throws(() => parseArmEndpoint('https://management.azure.com?x=1'), isValidationError('InvalidEndpoint'));
      assert.throws(() => parseArmEndpoint('https://user:pw@management.azure.com'), isValidationError('InvalidEndpoint'));
      assert.throws(() => parseArmEndpoint('ftp://management.azure.com'), isValidationError('InvalidEndpoint'));
      assert.throws(() => parseArmEndpoint('management.azure.com'), isValidationError('InvalidEndpoint'));
    });
  });

  describe('no request leaves for bad input', () => {
    const http = new FakeHttpClient((r) => assert.fail(`request sent: ${r.method} ${r.url}`));
    const client = new PimAlertsClient({ credential: new FakeCredential(), httpClient: http });
    const rbac = new RbacClient({ credential: new FakeCredential(), httpClient: http });
    const GOOD_ID = 'DuplicateRoleCreated';
    const GOOD_INC = '0645231d-16ba-4ebf-851a-0875df4052bd';

    // Every method, with the bad value in each position it takes.
    const calls: Array<[string, (bad: string) => Promise<unknown>, 'InvalidScope' | 'InvalidId']> = [
      ['listAlerts(scope)', (b) => client.listAlerts(b), 'InvalidScope'],
      ['getAlert(scope)', (b) => client.getAlert(b, GOOD_ID), 'InvalidScope'],
      ['getAlert(id)', (b) => client.getAlert(SCOPE, b), 'InvalidId'],
      ['updateAlert(id)', (b) => client.updateAlert(SCOPE, b, { isActive: false }), 'InvalidId'],
      ['updateAlert(scope)', (b) => client.updateAlert(b, GOOD_ID, { isActive: false }), 'InvalidScope'],
      ['refreshAlert(id)', (b) => client.refreshAlert(SCOPE, b), 'InvalidId'],
      ['refreshAllAlerts(scope)', (b) => client.refreshAllAlerts(b), 'InvalidScope'],
      ['listAlertConfigurations(scope)', (b) => client.listAlertConfigurations(b), 'InvalidScope'],
      ['getAlertConfiguration(id)', (b) => client.getAlertConfiguration(SCOPE, b), 'InvalidId'],
      [
        'updateAlertConfiguration(id)',
        (b) => client.updateAlertConfiguration(SCOPE, b, { alertConfigurationType: 'DuplicateRoleCreatedAlertConfiguration', isEnabled: false }),
        'InvalidId',
      ],
      ['listAlertDefinitions(scope)', (b) => client.listAlertDefinitions(b), 'InvalidScope'],
      ['getAlertDefinition(id)', (b) => client.getAlertDefinition(SCOPE, b), 'InvalidId'],
      ['listAlertIncidents(id)', (b) => client.listAlertIncidents(SCOPE, b), 'InvalidId'],
      ['getAlertIncident(alert id)', (b) => client.getAlertIncident(SCOPE, b, GOOD_INC), 'InvalidId'],
      ['getAlertIncident(incident id)', (b) => client.getAlertIncident(SCOPE, GOOD_ID, b), 'InvalidId'],
      ['remediateAlertIncident(incident id)', (b) => client.remediateAlertIncident(SCOPE, GOOD_ID, b), 'InvalidId'],
      ['remediateAlertIncident(scope)', (b) => client.remediateAlertIncident(b, GOOD_ID, GOOD_INC), 'InvalidScope'],
      ['getAlertOperation(id)', (b) => client.getAlertOperation(SCOPE, b), 'InvalidId'],
      ['rbac listRoleAssignmentsForPrincipal(scope)', (b) => rbac.listRoleAssignmentsForPrincipal(b, GOOD_INC), 'InvalidScope'],
      ['rbac listRoleAssignmentsForPrincipal(principal)', (b) => rbac.listRoleAssignmentsForPrincipal(SCOPE, b), 'InvalidId'],
    ];

    for (const [name, call, code] of calls) {
      it(`${name} refuses traversal and encodings without a request`, async () => {
        const bads = code === 'InvalidScope' ? BAD_SCOPES.map(([, s]) => s) : BAD_IDS.map(([, s]) => s);
        // A principal id must be a GUID; anything filter-shaped is refused too.
        if (name.includes('principal')) bads.push(`${GOOD_INC}') or true or ('`);
        for (const bad of bads) {
          await assert.rejects(call(bad), isValidationError(code));
        }
        assert.equal(http.requests.length, 0);
      });
    }

    it('refuses a configuration update without its alertConfigurationType, unsent', async () => {
      await assert.rejects(
        client.updateAlertConfiguration(SCOPE, 'TooManyOwnersAssignedToResource', { isEnabled: false } as never),
        isValidationError('InvalidUpdate', /alertConfigurationType/),
      );
      await assert.rejects(client.updateAlert(SCOPE, GOOD_ID, { isActive: 'no' } as never), isValidationError('InvalidUpdate'));
      assert.equal(http.requests.length, 0);
    });

    it('refuses role definition ids that are not ARM role definition ids, unsent', async () => {
      for (const bad of [
        '../roleDefinitions/x',
        `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/../../x`,
        `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/${GOOD_INC}`,
        `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${GOOD_INC}?api-version=1`,
        `https://evil.example/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${GOOD_INC}`,
        `/subscriptions/${SUB}providers/Microsoft.Authorization/roleDefinitions/${GOOD_INC}`,
      ]) {
        await assert.rejects(rbac.getRoleDefinition(bad), isValidationError('InvalidId'));
      }
      assert.equal(http.requests.length, 0);
    });

    it('normalises valid role definition ids at every scope', () => {
      const g = '8E3AF657-A8FF-443C-A75C-2FE8C4BCB635';
      assert.equal(normalizeRoleDefinitionId(`/providers/Microsoft.Authorization/roleDefinitions/${g}`), `providers/Microsoft.Authorization/roleDefinitions/${g.toLowerCase()}`);
      assert.equal(
        normalizeRoleDefinitionId(`/SUBSCRIPTIONS/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${g}`),
        `${SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${g.toLowerCase()}`,
      );
      assert.equal(
        normalizeRoleDefinitionId(`/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/roleDefinitions/${g}`),
        `providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/roleDefinitions/${g.toLowerCase()}`,
      );
    });
  });

  describe('ids are URL-encoded on the wire anyway', () => {
    it('sends the validated id as one path segment', async () => {
      const http = new FakeHttpClient().reply({ status: 200, body: { id: 'x', name: 'a.b', type: 't', properties: {} } });
      const client = new PimAlertsClient({ credential: new FakeCredential(), httpClient: http });
      await client.getAlert(`/${SCOPE}`, 'a.b');
      assert.equal(new URL(http.requests[0]!.url).pathname, `/${SCOPE}/providers/Microsoft.Authorization/roleManagementAlerts/a.b`);
    });
  });
});
