// The simulator's default world: Contoso's subscriptions with PIM alerts, its Entra ID directory
// with directory-role PIM alerts, and the people and role assignments (Azure and directory) that
// decide who may act on them. The example subscription and the directory reproduce Microsoft's
// official examples (sim/data, see sim/data/SOURCES.md) so every example request works verbatim;
// the rest is invented but shaped like the services' data. Deterministic: no clock, no randomness.
import definitionsJson from './data/alert-definitions.json';
import exampleJson from './data/example-subscription.json';
import graphDefinitionsJson from './data/graph-alert-definitions.json';
import graphDirectoryJson from './data/graph-directory.json';
import {
  ALERT_KINDS,
  ALERT_KIND_NAMES,
  type AlertKind,
  type DirectoryRoleAssignmentSeed,
  type DirectorySeed,
  type DirectorySeedAlert,
  type IncidentRecord,
  type SeedAlert,
  type SeedData,
  type SeedDefinition,
  type SeedDenyAssignment,
  type SeedRoleAssignment,
  type SeedRoleDefinition,
  type SeedScope,
  type SimPrincipal,
  isAlertKind,
  isDirectoryAlertKind,
} from './model';

// ---- scopes ----

export const SUBSCRIPTIONS = {
  /** The subscription of Microsoft's examples. */
  production: 'afa2a084-766f-4003-8ae1-c4aeb893a99f',
  development: 'c8a712ad-eaae-41a3-9e8c-113368238c79',
  staging: '5d4bcab9-e4f1-4b65-b7d1-9c494b61fa8d',
  /** No active alerts. */
  sandbox: '6dd4f3ef-2db0-4c0e-ad1b-734fdc4590b4',
} as const;

export const PAYMENTS_RESOURCE_GROUP = 'rg-payments-prod';

export const SCOPES = {
  production: `subscriptions/${SUBSCRIPTIONS.production}`,
  development: `subscriptions/${SUBSCRIPTIONS.development}`,
  staging: `subscriptions/${SUBSCRIPTIONS.staging}`,
  sandbox: `subscriptions/${SUBSCRIPTIONS.sandbox}`,
  payments: `subscriptions/${SUBSCRIPTIONS.production}/resourceGroups/${PAYMENTS_RESOURCE_GROUP}`,
} as const;

/** The scope of Microsoft's examples. */
export const EXAMPLE_SCOPE = SCOPES.production;

// ---- principals ----

/**
 * Alex Wilber, the local run's Playground user (sim/playground.yml gives the Playground these ids:
 * its built-in ones are not GUIDs, which Entra object ids always are).
 */
export const PLAYGROUND_USER_OBJECT_ID = '5d8e2f1a-3c4b-4a6d-9e7f-0a1b2c3d4e20';
/** Megan Bowen, another Playground user: Reader only, to try a denied action locally. */
export const PLAYGROUND_READER_OBJECT_ID = '5d8e2f1a-3c4b-4a6d-9e7f-0a1b2c3d4e21';

export const PRINCIPAL_IDS = {
  playgroundUser: PLAYGROUND_USER_OBJECT_ID,
  playgroundReader: PLAYGROUND_READER_OBJECT_ID,
  /** Owner on Contoso Production. */
  subscriptionOwner: '27d15690-622e-4be9-aa30-ba52135f2e75',
  /** User Access Administrator on Contoso Development. */
  accessAdministrator: 'a1369fb2-4b3c-41d3-be7d-488582f409fe',
  /** Reader on Contoso Production. */
  reader: '072b5066-390a-4cd3-b6b8-b7c6b79002a1',
  /** The group 'PIM Operators', Owner on Contoso Staging. */
  pimOperatorsGroup: 'c2409176-a28d-45bd-8bec-93a8b4bf8924',
  /** Member of 'PIM Operators'; no direct assignments. */
  pimOperatorsMember: 'd73d9476-82e8-4b16-a26e-7102f1d47789',
  /** 'Everything but access' (custom role) on Contoso Production. */
  customRoleUser: 'e439f053-a6b7-48e6-a183-f40f0c1f9e4b',
  /** Owner on the rg-payments-prod resource group only, where a deny assignment blocks him. */
  resourceGroupOwner: '64c646ab-b4ff-4b57-ad52-227a003854bd',
  /** A person with no role anywhere. */
  noAccess: '343b2df7-ae94-47ca-bcb0-22a6396b19b0',
  /** From the transitive role assignments example: User Administrator directly and through a group. */
  directoryUserAdmin: '2c7936bc-3517-40f3-8eda-4806637b6516',
  /** Groups of that example, holding User Administrator and (on an administrative unit) Helpdesk Administrator. */
  userAdminsGroup: 'ae2fc327-4c71-48ed-b6ca-f48632186510',
  helpdeskGroup: '6ffb34b8-5e6d-4727-a7f9-93245e7f6ea8',
  /** From the role assignments example: Global Administrator and Global Reader, directly. */
  globalAdministrator: 'f1847572-48aa-47aa-96a3-2ec61904f41f',
} as const;

/** Entra ID built-in directory roles, by role template id (Microsoft's Entra permissions reference). */
export const DIRECTORY_ROLE_IDS = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  privilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  securityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
  /** In the transitive role assignments example (User Administrator). */
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  /** In the transitive role assignments example, on an administrative unit (Helpdesk Administrator). */
  helpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
} as const;

/** The directory of Microsoft's Graph examples (the tenant of its alert definitions). */
export const DIRECTORY_TENANT_ID = graphDirectoryJson.tenantId;

export const ROLE_DEFINITION_IDS = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  userAccessAdministrator: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3d1f-4e2b-ac9f-d41a8c79c6b8',
  everythingButAccess: '48b7b100-5c98-46ea-a87b-d8774a97ffcd',
} as const;

// ---- alert definitions and the example subscription (from sim/data) ----

function loadDefinitions(): SeedDefinition[] {
  return definitionsJson.map((d) => {
    if (!isAlertKind(d.name)) throw new Error(`sim/data/alert-definitions.json names an unknown alert '${d.name}'; add it to ALERT_KINDS.`);
    return { name: d.name, properties: { ...d.properties } };
  });
}

function roleDefinitionId(subscriptionId: string, roleGuid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}

type IncidentFields = Record<string, unknown>;

function incidents(kind: AlertKind, list: Array<[string, IncidentFields]>): IncidentRecord[] {
  return list.map(([name, fields]) => ({ name, properties: { alertIncidentType: ALERT_KINDS[kind].incidentType, ...fields } }));
}

function ownerIncident(assigneeName: string, assigneeType: 'User' | 'Group' | 'ServicePrincipal'): IncidentFields {
  return { assigneeName, assigneeType };
}

interface Person {
  id: string;
  displayName: string;
  upn: string;
}

function outsidePim(subscriptionId: string, assignee: Person, role: 'owner' | 'userAccessAdministrator' | 'contributor', activated: string, requestor: Person): IncidentFields {
  const roleNames = { owner: 'Owner', userAccessAdministrator: 'User Access Administrator', contributor: 'Contributor' };
  return {
    assigneeDisplayName: assignee.displayName,
    assigneeUserPrincipalName: assignee.upn,
    assigneeId: assignee.id,
    roleDisplayName: roleNames[role],
    roleTemplateId: ROLE_DEFINITION_IDS[role],
    roleDefinitionId: roleDefinitionId(subscriptionId, ROLE_DEFINITION_IDS[role]),
    assignmentActivatedDate: activated,
    requestorId: requestor.id,
    requestorDisplayName: requestor.displayName,
    requestorUserPrincipalName: requestor.upn,
  };
}

function duplicateRole(roleName: string, duplicateRoles: string, reason: string): IncidentFields {
  return { roleName, duplicateRoles, reason };
}

const PEOPLE = {
  dana: { id: PRINCIPAL_IDS.subscriptionOwner, displayName: 'Dana Whitfield', upn: 'dana.whitfield@contoso.com' },
  priya: { id: 'f3d14e52-7bb1-4809-be36-c334966ae1c0', displayName: 'Priya Natarajan', upn: 'priya.natarajan@contoso.com' },
  jonas: { id: '6f1e3f8c-6fb8-4192-a564-7d253fe37ab2', displayName: 'Jonas Eriksen', upn: 'jonas.eriksen@contoso.com' },
  amara: { id: 'cb413f7d-49b1-473a-9624-2065f0657b4b', displayName: 'Amara Okafor', upn: 'amara.okafor@contoso.com' },
  breakGlass: { id: '13538efa-4f5e-4dee-bbac-1b834dea8d61', displayName: 'Break Glass Admin', upn: 'breakglass@contoso.onmicrosoft.com' },
  marcus: { id: PRINCIPAL_IDS.accessAdministrator, displayName: 'Marcus Oyelaran', upn: 'marcus.oyelaran@contoso.com' },
  contractor: { id: 'ce6c579d-fbc7-4cd7-a7a1-12a2901b8101', displayName: 'Sam Contractor', upn: 'sam_fabrikam.com#EXT#@contoso.onmicrosoft.com' },
} satisfies Record<string, Person>;

function alert(alertId: AlertKind, fields: Partial<Omit<SeedAlert, 'alertId'>> & { lastScannedDateTime: string }): SeedAlert {
  const list = fields.incidents ?? [];
  return {
    alertId,
    isActive: fields.isActive ?? list.length > 0,
    lastModifiedDateTime: fields.lastModifiedDateTime ?? fields.lastScannedDateTime,
    lastScannedDateTime: fields.lastScannedDateTime,
    configuration: fields.configuration ?? defaultConfiguration(alertId),
    incidents: list,
  };
}

/** The portal's defaults for a scope nobody has tuned. */
function defaultConfiguration(alertId: AlertKind): SeedAlert['configuration'] {
  switch (alertId) {
    case 'TooManyOwnersAssignedToResource':
      return { isEnabled: true, settings: { thresholdNumberOfOwners: 3, thresholdPercentageOfOwnersOutOfAllRoleMembers: 30 } };
    case 'TooManyPermanentOwnersAssignedToResource':
      return { isEnabled: true, settings: { thresholdNumberOfPermanentOwners: 10, thresholdPercentageOfPermanentOwnersOutOfAllOwners: 10 } };
    default:
      return { isEnabled: true, settings: {} };
  }
}

function exampleSubscription(): SeedScope {
  const sub = SUBSCRIPTIONS.production;
  // Incidents the examples do not show: the DuplicateRoleCreated one is the id RemediateAlertIncident.json
  // remediates (content invented); AzureRolesAssignedOutsidePimAlert has two because its example
  // description says "2 privileged assignment(s)".
  const extraIncidents: Partial<Record<AlertKind, IncidentRecord[]>> = {
    DuplicateRoleCreated: incidents('DuplicateRoleCreated', [
      ['0645231d-16ba-4ebf-851a-0875df4052bd', duplicateRole('VM Operators (custom)', 'Virtual Machine Contributor', 'The custom role has the same permissions as a built-in role.')],
    ]),
    AzureRolesAssignedOutsidePimAlert: incidents('AzureRolesAssignedOutsidePimAlert', [
      ['ec42fb26-ccc5-4d7e-966d-e51adb6c45ec', outsidePim(sub, PEOPLE.contractor, 'owner', '2022-04-04T22:13:51.12+00:00', PEOPLE.breakGlass)],
      ['74b90495-9949-469c-bb93-0d4846e04b65', outsidePim(sub, PEOPLE.jonas, 'userAccessAdministrator', '2022-04-05T01:47:09.5+00:00', PEOPLE.dana)],
    ]),
  };
  const alerts = exampleJson.alerts.map((a): SeedAlert => {
    if (!isAlertKind(a.alertId)) throw new Error(`sim/data/example-subscription.json names an unknown alert '${a.alertId}'.`);
    const { isEnabled, ...settings } = a.configuration;
    const seeded = a.incidents?.map((i) => ({ name: i.name, properties: { ...i.properties } })) ?? extraIncidents[a.alertId] ?? [];
    return alert(a.alertId, {
      isActive: a.isActive,
      // The examples show one pair of timestamps for every alert of this subscription.
      lastModifiedDateTime: a.lastModifiedDateTime ?? '2022-04-05T03:04:06.467+00:00',
      lastScannedDateTime: a.lastScannedDateTime ?? '2022-04-06T18:25:00.38+00:00',
      configuration: { isEnabled, settings: settings as Record<string, number> },
      incidents: seeded,
    });
  });
  return { id: exampleJson.scope, displayName: 'Contoso Production', alerts: sortByDefinitionOrder(alerts) };
}

function sortByDefinitionOrder(alerts: SeedAlert[]): SeedAlert[] {
  const order = loadDefinitions().map((d) => d.name);
  return [...alerts].sort((a, b) => order.indexOf(a.alertId) - order.indexOf(b.alertId));
}

function otherScopes(): SeedScope[] {
  const dev = SUBSCRIPTIONS.development;
  const payments = SUBSCRIPTIONS.production;
  const scanned = '2024-11-18T07:42:19.233+00:00';
  return [
    {
      id: SCOPES.development,
      displayName: 'Contoso Development',
      alerts: [
        alert('TooManyPermanentOwnersAssignedToResource', { lastScannedDateTime: scanned }),
        alert('TooManyOwnersAssignedToResource', {
          lastScannedDateTime: scanned,
          lastModifiedDateTime: '2024-11-15T16:05:44.81+00:00',
          incidents: incidents('TooManyOwnersAssignedToResource', [
            ['70ca6009-f9d9-44c8-9817-eec5c4966bf4', ownerIncident('Priya Natarajan', 'User')],
            ['53b19dc0-b8b4-4e6b-a906-94fe72d66dbd', ownerIncident('Platform Admins', 'Group')],
            ['6ffc6cbd-7dac-4c1c-90bb-3f18bea96fdd', ownerIncident('github-deploy-dev', 'ServicePrincipal')],
            ['994bc42e-59b9-43c5-b167-c2c54d6e1f2b', ownerIncident('Jonas Eriksen', 'User')],
          ]),
        }),
        alert('DuplicateRoleCreated', { lastScannedDateTime: scanned }),
        alert('AzureRolesAssignedOutsidePimAlert', {
          lastScannedDateTime: scanned,
          lastModifiedDateTime: '2024-11-17T21:30:02.4+00:00',
          incidents: incidents('AzureRolesAssignedOutsidePimAlert', [
            ['a30da55a-63f5-4154-a9fa-042aa5b9a949', outsidePim(dev, PEOPLE.priya, 'owner', '2024-11-17T20:58:41.07+00:00', PEOPLE.marcus)],
            ['982ec494-5919-438f-abc6-e53e4ba0d7a6', outsidePim(dev, PEOPLE.amara, 'contributor', '2024-11-17T21:02:13.66+00:00', PEOPLE.marcus)],
            ['8dac1ccd-cfdd-467e-87b2-9de90d0cfba9', outsidePim(dev, PEOPLE.contractor, 'userAccessAdministrator', '2024-11-17T21:29:55.9+00:00', PEOPLE.breakGlass)],
          ]),
        }),
      ],
    },
    {
      id: SCOPES.staging,
      displayName: 'Contoso Staging',
      alerts: [
        alert('TooManyPermanentOwnersAssignedToResource', {
          lastScannedDateTime: scanned,
          lastModifiedDateTime: '2024-10-30T11:12:57.02+00:00',
          configuration: { isEnabled: true, settings: { thresholdNumberOfPermanentOwners: 2, thresholdPercentageOfPermanentOwnersOutOfAllOwners: 50 } },
          incidents: incidents('TooManyPermanentOwnersAssignedToResource', [
            ['a92bf9da-e956-42c4-b67f-a7397f7f2936', ownerIncident('Amara Okafor', 'User')],
            ['7feabbcd-2503-4a66-bdd1-6a9f66c741ea', ownerIncident('Break Glass Admin', 'User')],
          ]),
        }),
        alert('TooManyOwnersAssignedToResource', { lastScannedDateTime: scanned }),
        alert('DuplicateRoleCreated', {
          lastScannedDateTime: scanned,
          lastModifiedDateTime: '2024-11-02T09:41:18.36+00:00',
          incidents: incidents('DuplicateRoleCreated', [
            ['41d7623e-3702-4850-abbd-e160e5ae140c', duplicateRole('Storage Reader Plus', 'Storage Blob Data Reader', 'The custom role has the same permissions as a built-in role.')],
            ['b77bca28-fb32-48ee-93fb-66c1a827be84', duplicateRole('Contoso Network Admin', 'Contoso Network Admin (old), Network Contributor', 'The custom role has the same display name as another custom role.')],
          ]),
        }),
        // Switched off by the staging team: present, enabled false, nothing raised.
        alert('AzureRolesAssignedOutsidePimAlert', { lastScannedDateTime: '2024-09-01T00:00:00+00:00', configuration: { isEnabled: false, settings: {} } }),
      ],
    },
    {
      id: SCOPES.sandbox,
      displayName: 'Fabrikam Sandbox',
      alerts: ALERT_KIND_NAMES.map((k) => alert(k, { lastScannedDateTime: scanned })),
    },
    {
      id: SCOPES.payments,
      displayName: 'Payments (rg-payments-prod)',
      alerts: [
        alert('TooManyPermanentOwnersAssignedToResource', {
          lastScannedDateTime: scanned,
          lastModifiedDateTime: '2024-11-12T14:26:33.5+00:00',
          incidents: incidents('TooManyPermanentOwnersAssignedToResource', [['f75f0ca4-ae9e-49e7-98e9-56da8572d525', ownerIncident('payments-ops', 'Group')]]),
        }),
        alert('TooManyOwnersAssignedToResource', { lastScannedDateTime: scanned }),
        alert('DuplicateRoleCreated', { lastScannedDateTime: scanned }),
        alert('AzureRolesAssignedOutsidePimAlert', {
          lastScannedDateTime: scanned,
          lastModifiedDateTime: '2024-11-18T06:59:12.77+00:00',
          incidents: incidents('AzureRolesAssignedOutsidePimAlert', [
            ['4f9022e7-4f1d-459f-bce5-a54f1e205267', outsidePim(payments, PEOPLE.jonas, 'owner', '2024-11-18T06:58:40.31+00:00', PEOPLE.dana)],
          ]),
        }),
      ],
    },
  ];
}

// ---- RBAC ----

const BUILT_IN_CREATED = '2015-02-02T21:55:09.8806423Z';

function builtIn(name: string, roleName: string, description: string, actions: string[], notActions: string[] = [], updatedOn = '2021-11-11T20:13:45.8978856Z'): SeedRoleDefinition {
  return { name, roleName, type: 'BuiltInRole', description, assignableScopes: ['/'], permissions: [{ actions, notActions, dataActions: [], notDataActions: [] }], createdOn: BUILT_IN_CREATED, updatedOn };
}

function roleDefinitions(): SeedRoleDefinition[] {
  return [
    builtIn(ROLE_DEFINITION_IDS.owner, 'Owner', 'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.', ['*']),
    builtIn(ROLE_DEFINITION_IDS.userAccessAdministrator, 'User Access Administrator', 'Lets you manage user access to Azure resources.', ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*']),
    builtIn(
      ROLE_DEFINITION_IDS.contributor,
      'Contributor',
      'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
      ['*'],
      [
        'Microsoft.Authorization/*/Delete',
        'Microsoft.Authorization/*/Write',
        'Microsoft.Authorization/elevateAccess/Action',
        'Microsoft.Blueprint/blueprintAssignments/write',
        'Microsoft.Blueprint/blueprintAssignments/delete',
        'Microsoft.Compute/galleries/share/action',
        'Microsoft.Purview/consents/write',
        'Microsoft.Purview/consents/delete',
      ],
    ),
    builtIn(ROLE_DEFINITION_IDS.reader, 'Reader', 'View all resources, but does not allow you to make any changes.', ['*/read']),
    {
      name: ROLE_DEFINITION_IDS.everythingButAccess,
      roleName: 'Everything but access',
      type: 'CustomRole',
      description: 'Can read and change every resource but cannot grant or change access.',
      assignableScopes: [`/subscriptions/${SUBSCRIPTIONS.production}`, `/subscriptions/${SUBSCRIPTIONS.development}`],
      permissions: [{ actions: ['*/write', '*/read'], notActions: ['Microsoft.Authorization/*/write'], dataActions: [], notDataActions: [] }],
      createdOn: '2023-06-14T10:22:31.4417182Z',
      updatedOn: '2023-06-14T10:22:31.4417182Z',
    },
  ];
}

function principals(): SimPrincipal[] {
  return [
    { id: PLAYGROUND_USER_OBJECT_ID, displayName: 'Alex Wilber', type: 'User', userPrincipalName: 'alexw@example.com' },
    { id: PLAYGROUND_READER_OBJECT_ID, displayName: 'Megan Bowen', type: 'User', userPrincipalName: 'meganb@example.com' },
    { id: PRINCIPAL_IDS.subscriptionOwner, displayName: PEOPLE.dana.displayName, type: 'User', userPrincipalName: PEOPLE.dana.upn },
    { id: PRINCIPAL_IDS.accessAdministrator, displayName: PEOPLE.marcus.displayName, type: 'User', userPrincipalName: PEOPLE.marcus.upn },
    { id: PRINCIPAL_IDS.reader, displayName: 'Lena Fischer', type: 'User', userPrincipalName: 'lena.fischer@contoso.com' },
    { id: PRINCIPAL_IDS.pimOperatorsGroup, displayName: 'PIM Operators', type: 'Group' },
    { id: PRINCIPAL_IDS.pimOperatorsMember, displayName: 'Tomás Ribeiro', type: 'User', userPrincipalName: 'tomas.ribeiro@contoso.com', memberOf: [PRINCIPAL_IDS.pimOperatorsGroup] },
    { id: PRINCIPAL_IDS.customRoleUser, displayName: 'Yuki Tanaka', type: 'User', userPrincipalName: 'yuki.tanaka@contoso.com' },
    { id: PRINCIPAL_IDS.resourceGroupOwner, displayName: 'Noah Berg', type: 'User', userPrincipalName: 'noah.berg@contoso.com' },
    { id: PRINCIPAL_IDS.noAccess, displayName: 'Chris Novak', type: 'User', userPrincipalName: 'chris.novak@contoso.com' },
    { id: PRINCIPAL_IDS.userAdminsGroup, displayName: 'User Admins', type: 'Group' },
    { id: PRINCIPAL_IDS.helpdeskGroup, displayName: 'EU Helpdesk', type: 'Group' },
    {
      id: PRINCIPAL_IDS.directoryUserAdmin,
      displayName: 'Diego Siciliani',
      type: 'User',
      userPrincipalName: 'diego.siciliani@contoso.com',
      memberOf: [PRINCIPAL_IDS.userAdminsGroup, PRINCIPAL_IDS.helpdeskGroup],
    },
    { id: PRINCIPAL_IDS.globalAdministrator, displayName: 'Grady Archie', type: 'User', userPrincipalName: 'grady.archie@contoso.com' },
  ];
}

function roleAssignments(): SeedRoleAssignment[] {
  const sub = (id: string) => `/subscriptions/${id}`;
  const created = '2024-03-11T08:15:27.6452188Z';
  const a = (name: string, scope: string, role: string, principalId: string): SeedRoleAssignment => ({ name, scope, roleDefinitionName: role, principalId, createdOn: created });
  const R = ROLE_DEFINITION_IDS;
  const P = PRINCIPAL_IDS;
  return [
    a('fb2acb21-1421-46c2-bd95-1d07ccb5ca79', sub(SUBSCRIPTIONS.production), R.owner, P.playgroundUser),
    a('ee55bcb9-eda9-4177-8613-023ffca23b20', sub(SUBSCRIPTIONS.development), R.owner, P.playgroundUser),
    a('fe532e5e-6520-4947-bc13-2154c8944153', sub(SUBSCRIPTIONS.staging), R.owner, P.playgroundUser),
    a('248701c7-fbdc-4234-84aa-3328dd2f62ce', sub(SUBSCRIPTIONS.sandbox), R.owner, P.playgroundUser),
    a('82b81ff4-24b7-4d92-b959-9a6844154ef5', sub(SUBSCRIPTIONS.production), R.reader, P.playgroundReader),
    a('378188d9-6aed-49b7-98cb-7ce77f37fe10', sub(SUBSCRIPTIONS.production), R.owner, P.subscriptionOwner),
    a('23eb95fd-b0e5-4f5e-8b61-a9a13cb02309', sub(SUBSCRIPTIONS.development), R.userAccessAdministrator, P.accessAdministrator),
    a('b26e74bc-6828-4395-9a47-52b02f4be541', sub(SUBSCRIPTIONS.production), R.reader, P.reader),
    a('e5d7da6d-168e-4330-908a-3dc44f3c8d35', sub(SUBSCRIPTIONS.staging), R.owner, P.pimOperatorsGroup),
    a('21add5c1-c2ba-4fab-bb1d-aa622741c12d', sub(SUBSCRIPTIONS.production), R.everythingButAccess, P.customRoleUser),
    a('4cb9257b-21a0-4312-b1ab-d4811fe50572', `/${SCOPES.payments}`, R.owner, P.resourceGroupOwner),
    // A Contributor below the subscription: visible from the subscription as "below the scope".
    a('7dbfa28c-bdfe-41a4-81e6-710e08c73c20', `/${SCOPES.payments}`, R.contributor, P.reader),
  ];
}

// ---- the Entra ID directory (Graph) ----

function directoryRoleAssignments(): DirectoryRoleAssignmentSeed[] {
  const P = PRINCIPAL_IDS;
  const R = DIRECTORY_ROLE_IDS;
  const a = (id: string, principalId: string, roleDefinitionId: string, directoryScopeId = '/'): DirectoryRoleAssignmentSeed => ({ id, principalId, roleDefinitionId, directoryScopeId });
  return [
    // The local run's people: Alex may act on the directory, Megan may read; Tomás through the PIM Operators group.
    a('b5f3c0e2-7d4a-4e61-9c8b-2a1f6e3d9c01', P.playgroundUser, R.privilegedRoleAdministrator),
    a('c4e2b1d3-8f5a-4a72-8d9c-3b2e7f4a0d12', P.playgroundReader, R.globalReader),
    a('d3d1a2c4-9e6b-4b83-9eab-4c3f8a5b1e23', P.pimOperatorsGroup, R.privilegedRoleAdministrator),
    a('e2c0f3b5-af7c-4c94-afbc-5d4a9b6c2f34', P.reader, R.securityReader),
    // Microsoft's examples, verbatim (list-transitive-role-assignments, list-role-assignments-by-principal).
    a('857708a7-b5e0-44f9-bfd7-53531d72a739', P.directoryUserAdmin, R.userAdministrator),
    a('8a021d5f-7351-4713-aab4-b088504d476e', P.userAdminsGroup, R.userAdministrator),
    a('6cc86637-13c8-473f-afdc-e0e65c9734d2', P.helpdeskGroup, R.helpdeskAdministrator, '/administrativeUnits/26e79164-0c5c-4281-8c5b-be7bc7809fb2'),
    a('lAPpYvVpN0KRkAEhdxReEHJ1hPGqSKpHlqMuxhkE9B8-1', P.globalAdministrator, R.globalAdministrator),
    a('LJnv8vs6uUa3z6Em7nTEUXJ1hPGqSKpHlqMuxhkE9B8-1', P.globalAdministrator, R.globalReader),
  ];
}

function directory(): DirectorySeed {
  const alerts = graphDirectoryJson.alerts.map((a): DirectorySeedAlert => {
    if (!isDirectoryAlertKind(a.alert)) throw new Error(`sim/data/graph-directory.json names an unknown alert '${a.alert}'; add it to DIRECTORY_ALERT_KINDS.`);
    return { ...structuredClone(a), alert: a.alert } as DirectorySeedAlert;
  });
  return {
    tenantId: graphDirectoryJson.tenantId,
    displayName: 'Entra ID',
    definitions: structuredClone(graphDefinitionsJson),
    alerts,
    roleAssignments: directoryRoleAssignments(),
  };
}

export const ALL_PRINCIPALS_ID = '00000000-0000-0000-0000-000000000000';

export const DENY_ASSIGNMENT_IDS = {
  /** On rg-payments-prod: blocks every write there for everyone but Alex Wilber, so Noah Berg's Owner does not let him act. */
  paymentsStack: '5f2c4d8e-9b1a-4e7f-8c3d-2a6b0e9f1d47',
} as const;

function denyAssignments(): SeedDenyAssignment[] {
  // Shaped like the deny assignment a deployment stack with denySettings 'denyWriteAndDelete'
  // puts on its resource group; its deployer (the Playground user) is excluded, as a stack
  // excludes the principals named in excludedPrincipals.
  return [
    {
      name: DENY_ASSIGNMENT_IDS.paymentsStack,
      denyAssignmentName: "Deny assignment 'payments-platform' created by deployment stack",
      description: 'Created by the deployment stack payments-platform to protect its managed resources.',
      scope: `/${SCOPES.payments}`,
      permissions: [{ actions: ['*/write', '*/delete'], notActions: ['*/read'], dataActions: [], notDataActions: [] }],
      principals: [{ id: ALL_PRINCIPALS_ID, type: 'SystemDefined' }],
      excludePrincipals: [{ id: PLAYGROUND_USER_OBJECT_ID, type: 'User' }],
      doNotApplyToChildScopes: false,
      createdOn: '2024-10-02T13:41:08.2271593Z',
    },
  ];
}

/** A fresh copy of the default world; callers may change it before starting a simulator. */
export function defaultSeed(): SeedData {
  return {
    definitions: loadDefinitions(),
    scopes: [exampleSubscription(), ...otherScopes()],
    principals: principals(),
    roleDefinitions: roleDefinitions(),
    roleAssignments: roleAssignments(),
    directory: directory(),
    denyAssignments: denyAssignments(),
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** Moves every date of a world (string values that look like ISO dates) by the same amount. */
function shifter(now: Date, scans: number[], newestScanAgoMs: number): (iso: string) => string {
  const shift = scans.length === 0 ? 0 : now.getTime() - newestScanAgoMs - Math.max(...scans);
  return (iso) => {
    const t = Date.parse(iso);
    // Graph's "never" (year 1) stays what it is.
    return Number.isFinite(t) && new Date(t).getUTCFullYear() > 1900 ? new Date(t + shift).toISOString() : iso;
  };
}

function shiftDates<T extends object>(o: T, move: (iso: string) => string): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' && ISO_DATE.test(v) ? move(v) : v])) as T;
}

/**
 * The seed as if its newest scan had just happened: every date moves by the same amount, so the
 * local run shows "scanned 2 h ago" rather than the examples' 2022 dates, and the order and gaps
 * between events stay as seeded. The directory's dates move on their own, so its newest scan is as
 * recent. Tests keep the unshifted seed (the contract tests compare with Microsoft's examples).
 */
export function freshSeed(now: Date, seed: SeedData = defaultSeed(), newestScanAgoMs = 2 * 3600_000): SeedData {
  const scans = seed.scopes.flatMap((s) => s.alerts.map((a) => Date.parse(a.lastScannedDateTime))).filter(Number.isFinite);
  const move = shifter(now, scans, newestScanAgoMs);
  const dir = seed.directory;
  const moveDir = dir ? shifter(now, dir.alerts.map((a) => Date.parse(a.lastScannedDateTime)).filter(Number.isFinite), newestScanAgoMs) : move;
  return {
    ...seed,
    ...(dir
      ? {
          directory: {
            ...dir,
            alerts: dir.alerts.map((a) => ({ ...shiftDates(a, moveDir), incidents: a.incidents.map((i) => shiftDates(i, moveDir)) })),
          },
        }
      : {}),
    scopes: seed.scopes.map((scope) => ({
      ...scope,
      alerts: scope.alerts.map((a) => ({
        ...a,
        lastModifiedDateTime: move(a.lastModifiedDateTime),
        lastScannedDateTime: move(a.lastScannedDateTime),
        incidents: a.incidents.map((i) => ({ ...i, properties: shiftDates(i.properties, move) })),
      })),
    })),
  };
}
