// The HTTP edge: restify serving POST /api/messages through botbuilder's CloudAdapter, plus
// GET /healthz (the process answers), GET /readyz (it can serve: its store answers) and the
// manifest's pages. Everything here runs before the caller is authenticated,
// so it reads only what it must: no body parser is installed (restify's would write multipart
// uploads to the temp folder), other routes never read a body, and /api/messages reads one only
// when it is declared JSON, into memory, up to a hard cap. It then checks that the body is an
// activity-shaped object before handing it to the adapter (which authenticates it), and turns
// anything unexpected into a 4xx/5xx answer: no request can crash the process or fill the disk.
import './restifyCompat'; // before restify: lets restify 11 load on Node.js 24
import restify from 'restify';
import type { Activity, TurnContext } from 'botbuilder';
import { isAuthenticationFailure, type TeamsEdgeAdapter } from './adapter';
import { isJsonContentType, readJsonBody } from './body';
import type { Logger } from '../log';
import type { Telemetry } from '../telemetry';
import { PAGES } from './pages';

export interface ServerOptions {
  adapter: TeamsEdgeAdapter;
  logic: (context: TurnContext) => Promise<void>;
  logger: Logger;
  /** Extra health detail (e.g. the scopes watched), never secrets. */
  health?: () => Record<string, unknown>;
  /** Whether this instance can serve turns; never asks ARM or Teams. Default: always ready. */
  ready?: () => Promise<boolean>;
  telemetry?: Pick<Telemetry, 'activity'>;
  /** Largest JSON body read, in bytes (512 KB: Teams activities stay far below it). */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 512 * 1024;

/** A readiness check that has not answered by then counts as not ready. */
const READY_TIMEOUT_MS = 5_000;

async function isReady(ready: (() => Promise<boolean>) | undefined): Promise<boolean> {
  if (!ready) return true;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([ready(), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS)))]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const ACTIVITY_TYPE = /^[A-Za-z]{1,40}$/;
const MESSAGES_PATH = '/api/messages';

/** A request carries a body when it declares a length above zero or a transfer encoding (chunked). */
function declaresBody(req: restify.Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

export function createHttpServer(opts: ServerOptions): restify.Server {
  const server = restify.createServer({ name: 'pim-alerts-teams', handleUncaughtExceptions: false });
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  // Only POST /api/messages takes a body; any other request that declares one (a GET with a body,
  // an upload to a page or to a path that does not exist) is answered from its headers alone.
  server.pre((req, res, next) => {
    if (declaresBody(req) && !(req.method === 'POST' && req.getPath() === MESSAGES_PATH)) {
      refuseUnread(res, 413, `Only POST ${MESSAGES_PATH} takes a request body.`);
      return next(false);
    }
    return next();
  });

  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok', ...(opts.health?.() ?? {}) });
    return next();
  });

  // For load balancers and platform probes: 503 takes the instance out of rotation (store down,
  // shutting down) without restarting it, as a failing /healthz would.
  server.get('/readyz', async (_req, res) => {
    if (await isReady(opts.ready)) res.send(200, { status: 'ready' });
    else res.send(503, { status: 'not ready' });
  });

  for (const [path, html] of Object.entries(PAGES)) {
    server.get(path, (_req, res, next) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=3600' });
      res.end(html);
      return next();
    });
  }

  // The Agents Playground (and some load balancers) probe the endpoint with HEAD before posting.
  server.head(MESSAGES_PATH, (_req, res, next) => {
    res.send(200);
    return next();
  });

  server.post(MESSAGES_PATH, async (req, res) => {
    if (!isJsonContentType(req.headers['content-type'])) {
      refuseUnread(res, 415, 'Send the activity as JSON, with Content-Type: application/json.');
      return;
    }
    const read = await readJsonBody(req, maxBodyBytes);
    if (!read.ok) {
      if (read.status === 413) refuseUnread(res, 413, read.message);
      else res.send(read.status, { error: read.message });
      return;
    }
    const body = read.value;
    if (!body || typeof body !== 'object' || Array.isArray(body) || typeof (body as { type?: unknown }).type !== 'string' || !ACTIVITY_TYPE.test((body as { type: string }).type)) {
      res.send(400, { error: 'The request body must be a Bot Framework activity (a JSON object with a type).' });
      return;
    }
    const log = opts.logger.child({ activityId: (body as { id?: unknown }).id, activityType: (body as { type: string }).type });
    opts.telemetry?.activity(body as { type: string; name?: unknown });
    const authorization = req.headers.authorization;
    try {
      const invoke = await opts.adapter.handle(typeof authorization === 'string' ? authorization : '', body as Activity, opts.logic);
      if (invoke?.body !== undefined) res.send(invoke.status ?? 200, invoke.body);
      else res.send(invoke?.status ?? 200);
    } catch (err) {
      if (isAuthenticationFailure(err)) {
        log.warn({ reason: (err as Error).message }, 'refused a request without a valid Bot Framework token');
        if (!res.headersSent) res.send(401, { error: 'The request is not authenticated as coming from the Bot Framework.' });
        return;
      }
      // A malformed activity the adapter could not read lands here too.
      log.warn({ err: { message: (err as Error).message } }, 'could not process an activity');
      if (!res.headersSent) res.send(400, { error: 'The activity could not be read; check its fields.' });
    }
  });

  server.on('restifyError', (req, res, err, callback) => {
    opts.logger.warn({ status: err.statusCode, path: req.path?.() }, err.message);
    return callback();
  });
  return server;
}

/**
 * Answers without reading (the rest of) the body and closes the connection once the answer is sent:
 * keeping it open would make Node read and discard whatever the client still sends.
 */
function refuseUnread(res: restify.Response, status: number, message: string): void {
  res.setHeader('connection', 'close');
  res.send(status, { error: message });
}
