// Azure RBAC reads used to decide whether the person clicking a card may do what they ask. Same
// pipeline and guarantees as the PIM alerts client; the principal id and role definition id are
// checked so nothing typed or forged can change the filter or the path.
import { RBAC_API_VERSION, type DenyAssignment, type RbacApi, type RoleAssignment, type RoleDefinition } from './api';
import { PimErrorCode, PimValidationError } from './errors';
import { ArmTransport, type ArmClientOptions } from './transport';
import { normalizeArmScope, validateGuid } from './validate';

const ROLE_DEFINITION_ID = /^(?:(.+)\/)?providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i;

/**
 * Canonical path (no leading slash) of a role definition id as found in an assignment:
 * `[<scope>/]providers/Microsoft.Authorization/roleDefinitions/<guid>`, where the optional scope is a
 * subscription, resource group or management group.
 */
export function normalizeRoleDefinitionId(input: string): string {
  const fail = () =>
    new PimValidationError(
      PimErrorCode.InvalidId,
      `The role definition id ${JSON.stringify(String(input).slice(0, 120))} is not one ARM issues: use [/<scope>]/providers/Microsoft.Authorization/roleDefinitions/<guid>.`,
    );
  if (typeof input !== 'string' || input.length > 400) throw fail();
  const m = ROLE_DEFINITION_ID.exec(input.replace(/^\//, ''));
  if (!m) throw fail();
  let guid: string;
  let scope = '';
  try {
    guid = validateGuid('role definition id', m[2]!);
    if (m[1]) scope = `${normalizeArmScope(m[1])}/`;
  } catch {
    throw fail();
  }
  return `${scope}providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

export class RbacClient implements RbacApi {
  private readonly t: ArmTransport;

  constructor(options: Omit<ArmClientOptions, 'service'> = {}) {
    this.t = new ArmTransport({ ...options, service: 'arm' });
  }

  async listRoleAssignmentsForPrincipal(scope: string, principalObjectId: string): Promise<RoleAssignment[]> {
    const s = normalizeArmScope(scope);
    const principal = validateGuid('principal object id', principalObjectId);
    const path = `${s.split('/').map(encodeURIComponent).join('/')}/providers/Microsoft.Authorization/roleAssignments`;
    return this.t.listAll<RoleAssignment>(this.t.url(path, { $filter: `assignedTo('${principal}')`, 'api-version': RBAC_API_VERSION }), {
      scope: s,
      subject: 'role assignments',
    });
  }

  async listDenyAssignments(scope: string): Promise<DenyAssignment[]> {
    const s = normalizeArmScope(scope);
    const path = `${s.split('/').map(encodeURIComponent).join('/')}/providers/Microsoft.Authorization/denyAssignments`;
    return this.t.listAll<DenyAssignment>(this.t.url(path, { $filter: 'atScope()', 'api-version': RBAC_API_VERSION }), { scope: s, subject: 'deny assignments' });
  }

  async getRoleDefinition(roleDefinitionId: string): Promise<RoleDefinition> {
    const path = normalizeRoleDefinitionId(roleDefinitionId);
    const url = this.t.url(path, { 'api-version': RBAC_API_VERSION });
    const subject = `the role definition ${path.split('/').pop()}`;
    const res = await this.t.send({ method: 'GET', url, subject });
    if (typeof res.json !== 'object' || res.json === null || Array.isArray(res.json)) throw this.t.invalidResponse(url, undefined, subject);
    return res.json as RoleDefinition;
  }
}
