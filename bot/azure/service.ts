// The two Azure APIs the bot talks to, named once. ARM serves the PIM alerts of Azure resource
// roles (subscriptions, resource groups, management groups); Microsoft Graph serves those of
// Entra ID directory roles. Both go through the same pipeline, transport and error type; what
// differs between them (the name people read, the setting that moves the endpoint, the paging link,
// the response header carrying the request id) is looked up here.

export type ServiceKind = 'arm' | 'graph';

export interface ServiceInfo {
  kind: ServiceKind;
  /** The service's name in messages people read. */
  name: string;
  /** Short name, e.g. in "(ARM request id …)". */
  short: string;
  /** The environment variable that moves the endpoint (sovereign clouds). */
  endpointVariable: string;
  /** The public cloud origin. */
  defaultOrigin: string;
  /** The member of a list body that holds the next page's URL. */
  nextLinkField: string;
  /** Response header with the service's id for the request (support tickets, the audit log). */
  requestIdHeader: string;
  /** Response header with the id that ties retries of one request together. */
  correlationIdHeader: string;
}

export const SERVICES: Readonly<Record<ServiceKind, ServiceInfo>> = {
  arm: {
    kind: 'arm',
    name: 'Azure Resource Manager',
    short: 'ARM',
    endpointVariable: 'ARM_ENDPOINT',
    defaultOrigin: 'https://management.azure.com',
    nextLinkField: 'nextLink',
    requestIdHeader: 'x-ms-request-id',
    correlationIdHeader: 'x-ms-correlation-request-id',
  },
  graph: {
    kind: 'graph',
    name: 'Microsoft Graph',
    short: 'Graph',
    endpointVariable: 'GRAPH_ENDPOINT',
    defaultOrigin: 'https://graph.microsoft.com',
    nextLinkField: '@odata.nextLink',
    requestIdHeader: 'request-id',
    correlationIdHeader: 'client-request-id',
  },
};

export function serviceInfo(kind: ServiceKind | undefined): ServiceInfo {
  return SERVICES[kind ?? 'arm'];
}
