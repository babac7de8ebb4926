// Telemetry through Azure Monitor's OpenTelemetry distribution, loaded only when
// APPLICATIONINSIGHTS_CONNECTION_STRING is set (see ./index.ts). It exports:
// - a request per HTTP turn (OpenTelemetry's HTTP server span, named after the route);
// - a dependency per outgoing call: ARM, the Bot Connector, token endpoints (HTTP client spans);
// - the bot's own metrics (card actions, refusals, ARM and Teams 429/5xx, digests, refresh
//   duration, pending refreshes).
// What it must not do: send anything to Microsoft but the customer's own ingestion endpoint, probe
// the Azure VM metadata address, or export a token or a message's text.
// - Statsbeat (the SDK's usage statistics to Microsoft) and live metrics are off.
// - The distro always runs the Azure VM resource detector, which probes 169.254.169.254 (IMDS);
//   the bot runs on App Service or in a container, never needs it, and so replaces its detect().
//   The SDK's own detectors are the ones that read only the environment and the host.
// - HTTP spans record method, URL, status, sizes, timings and the User-Agent, no other header and
//   no body: no Authorization header and no message text (activities travel in bodies) can reach
//   them (headersToSpanAttributes stays empty). URLs carry ids, not secrets; a query string is
//   dropped from exported URLs all the same, in case a token endpoint ever takes one.
import path from 'node:path';
import { SpanKind, context, metrics, trace, type Attributes, type Span } from '@opentelemetry/api';
import { useAzureMonitor, shutdownAzureMonitor, type AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import type { Telemetry } from './index';

type SpanProcessor = NonNullable<AzureMonitorOpenTelemetryOptions['spanProcessors']>[number];
type ReadableSpan = Parameters<SpanProcessor['onEnd']>[0];

export interface AzureMonitorOptions {
  connectionString: string;
  /** ARM origin: client spans to it whose answer is 429 or 5xx count as ARM errors. */
  armEndpoint: string;
}

const METER = 'pim-alerts-teams';

/** The azure_vm resource detector's metadata probe, switched off before the distro starts. */
function disableVmMetadataProbe(): void {
  const distro = require.resolve('@azure/monitor-opentelemetry');
  // The detector instance the distro itself uses, wherever npm placed it.
  const detectorPath = require.resolve('@opentelemetry/resource-detector-azure', { paths: [path.dirname(distro)] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const detectors = require(detectorPath) as { azureVmDetector: { detect: () => { attributes: Attributes } } };
  detectors.azureVmDetector.detect = () => ({ attributes: {} });
}

function attribute(span: ReadableSpan, ...names: string[]): unknown {
  for (const n of names) if (span.attributes[n] !== undefined) return span.attributes[n];
  return undefined;
}

/** `arm`, `teams` (the Bot Connector's /v3/conversations API) or undefined for any other host. */
export function serviceOf(url: string, armOrigin: string): 'arm' | 'teams' | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.origin === armOrigin) return 'arm';
  if (/\/v3\/conversations(\/|$)/.test(u.pathname)) return 'teams';
  return undefined;
}

const URL_ATTRIBUTES = ['http.url', 'url.full'];
/** Invoke names as Teams sends them (adaptiveCard/action, composeExtension/query …); others are not recorded. */
const INVOKE_NAME = /^[A-Za-z][\w/.-]{0,63}$/;

export function startAzureMonitor(options: AzureMonitorOptions): Telemetry {
  // Set before the exporter is built, which reads them: no usage statistics to Microsoft.
  process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = 'true';
  process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED = 'true';
  // Resource attributes from the environment, the host and the OS only (no cloud metadata probes).
  process.env.OTEL_NODE_RESOURCE_DETECTORS ??= 'env,host,os';
  // The cloud role name in Application Insights (App Service's detector names it after the site).
  process.env.OTEL_SERVICE_NAME ??= 'pim-alerts-teams';
  disableVmMetadataProbe();

  const armOrigin = new URL(options.armEndpoint).origin;
  let upstreamErrors: ((service: string, status: number) => void) | undefined;

  const processor: SpanProcessor = {
    onStart() {},
    onEnd(span) {
      // Query strings are dropped from exported URLs (the attributes object is the span's own).
      const attrs = span.attributes as Record<string, unknown>;
      for (const name of URL_ATTRIBUTES) {
        const v = attrs[name];
        if (typeof v === 'string' && v.includes('?')) attrs[name] = v.slice(0, v.indexOf('?'));
      }
      if (span.kind !== SpanKind.CLIENT) return;
      const status = Number(attribute(span, 'http.response.status_code', 'http.status_code'));
      if (!(status === 429 || status >= 500)) return;
      const url = attribute(span, ...URL_ATTRIBUTES);
      const service = typeof url === 'string' ? serviceOf(url, armOrigin) : undefined;
      if (service) upstreamErrors?.(service, status);
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };

  // Instrumentation settings beyond `enabled` are HttpInstrumentation's own; the distro's option
  // type names only `enabled`.
  const http: { enabled: boolean; headersToSpanAttributes: object } = {
    enabled: true,
    headersToSpanAttributes: { client: { requestHeaders: [], responseHeaders: [] }, server: { requestHeaders: [], responseHeaders: [] } },
  };
  const off = { enabled: false };
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString: options.connectionString },
    enableLiveMetrics: false,
    instrumentationOptions: { http, azureSdk: off, mongoDb: off, mySql: off, postgreSql: off, redis: off, redis4: off, bunyan: off, winston: off },
    spanProcessors: [processor],
  });

  const meter = metrics.getMeter(METER);
  const cardActions = meter.createCounter('pim.card_actions', { description: 'Card button clicks, by verb and result' });
  const refusals = meter.createCounter('pim.refusals', { description: 'Refused attempts, by action and reason' });
  const upstream = meter.createCounter('pim.upstream_errors', { description: 'ARM and Teams (Bot Connector) answers 429 or 5xx, by service and status' });
  const digests = meter.createCounter('pim.digests', { description: 'Scheduled digests, by outcome (sent, failed)' });
  const refreshDuration = meter.createHistogram('pim.refresh.duration', { description: 'Time from a rescan request to its outcome', unit: 'ms' });
  const pending = meter.createUpDownCounter('pim.operations.pending', { description: 'Refreshes this instance is tracking' });
  upstreamErrors = (service, status) => upstream.add(1, { service, status: String(status) });

  return {
    activity({ type, name }) {
      const span: Span | undefined = trace.getSpan(context.active());
      if (!span) return;
      span.updateName('POST /api/messages');
      const invoke = typeof name === 'string' && INVOKE_NAME.test(name) ? name : undefined;
      span.setAttributes({ 'http.route': '/api/messages', 'pim.activity.type': type, ...(invoke ? { 'pim.activity.name': invoke } : {}) });
    },
    cardAction: (verb, result) => cardActions.add(1, { verb, result }),
    refusal: (action, reason) => refusals.add(1, { action, reason }),
    digest: (outcome) => digests.add(1, { outcome }),
    refreshOutcome: (outcome, durationMs) => refreshDuration.record(durationMs, { outcome }),
    pendingOperations: (delta) => pending.add(delta),
    logContext(): Record<string, string> {
      const ctx = trace.getSpan(context.active())?.spanContext();
      return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
    },
    shutdown: async () => {
      await shutdownAzureMonitor();
    },
  };
}
