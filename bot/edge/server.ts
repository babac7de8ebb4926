// The HTTP edge: restify serving POST /api/messages through botbuilder's CloudAdapter, plus
// GET /healthz. It only checks that the body is an activity-shaped JSON object before handing it
// to the adapter (which authenticates it) and turns anything unexpected into a 4xx/5xx answer:
// no request body can crash the process.
import restify from 'restify';
import type { Activity, TurnContext } from 'botbuilder';
import { isAuthenticationFailure, type TeamsEdgeAdapter } from './adapter';
import type { Logger } from '../log';
import { PAGES } from './pages';

export interface ServerOptions {
  adapter: TeamsEdgeAdapter;
  logic: (context: TurnContext) => Promise<void>;
  logger: Logger;
  /** Extra health detail (e.g. the scopes watched), never secrets. */
  health?: () => Record<string, unknown>;
  maxBodyBytes?: number;
}

const ACTIVITY_TYPE = /^[A-Za-z]{1,40}$/;

export function createHttpServer(opts: ServerOptions): restify.Server {
  const server = restify.createServer({ name: 'pim-alerts-teams', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: opts.maxBodyBytes ?? 512 * 1024, mapParams: false, rejectUnknown: true }));

  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok', ...(opts.health?.() ?? {}) });
    return next();
  });

  for (const [path, html] of Object.entries(PAGES)) {
    server.get(path, (_req, res, next) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=3600' });
      res.end(html);
      return next();
    });
  }

  // The Agents Playground (and some load balancers) probe the endpoint with HEAD before posting.
  server.head('/api/messages', (_req, res, next) => {
    res.send(200);
    return next();
  });

  server.post('/api/messages', async (req, res) => {
    const body: unknown = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body) || typeof (body as { type?: unknown }).type !== 'string' || !ACTIVITY_TYPE.test((body as { type: string }).type)) {
      res.send(400, { error: 'The request body must be a Bot Framework activity (a JSON object with a type).' });
      return;
    }
    const log = opts.logger.child({ activityId: (body as { id?: unknown }).id, activityType: (body as { type: string }).type });
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
