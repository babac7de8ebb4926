// A graceful stop for the HTTP server: once it starts, the server takes no new connection and
// answers a new request on a kept-alive one with 503 (so the platform's load balancer retries it on
// another instance), while every request already in flight, a turn included, runs to its answer.
import type restify from 'restify';

export interface RequestDrain {
  /** Requests being handled now. */
  readonly inFlight: number;
  readonly draining: boolean;
  /** Stops taking requests and resolves once those in flight have answered and the server is closed. */
  close(): Promise<void>;
}

export function drainOnClose(server: restify.Server): RequestDrain {
  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | undefined;

  server.pre((req, res, next) => {
    if (draining) {
      res.setHeader('connection', 'close');
      res.send(503, { error: 'The bot is shutting down; send the request again.' });
      return next(false);
    }
    inFlight++;
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      inFlight--;
      if (inFlight === 0) idle?.();
    };
    res.once('finish', finished);
    res.once('close', finished);
    return next();
  });

  let closing: Promise<void> | undefined;
  return {
    get inFlight() {
      return inFlight;
    },
    get draining() {
      return draining;
    },
    close() {
      closing ??= (async () => {
        draining = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
        // Kept-alive connections would hold the server open until their idle timeout.
        server.server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
