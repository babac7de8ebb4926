// The HTTP edge: restify serving POST /api/messages through botbuilder's CloudAdapter, plus
// GET /healthz. It only checks that the body is an activity-shaped JSON object before handing it
// to the adapter (which authenticates it) and turns anything unexpected into a 4xx/5xx answer:
// no request body can crash the process.
import restify from 'restify';
import type { CloudAdapter, TurnContext } from 'botbuilder';
import type { Logger } from '../log';
import { PAGES } from './pages';

export interface ServerOptions {
  adapter: CloudAdapter;
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
    try {
      await opts.adapter.process(req, res, opts.logic);
    } catch (err) {
      // CloudAdapter validates the activity before its own try/catch; a malformed activity lands here.
      log.warn({ err: { message: (err as Error).message } }, 'rejected a malformed activity');
      if (!res.headersSent) res.send(400, { error: 'The activity could not be read; check its fields.' });
    }
  });

  server.on('restifyError', (req, res, err, callback) => {
    opts.logger.warn({ status: err.statusCode, path: req.path?.() }, err.message);
    return callback();
  });
  return server;
}
