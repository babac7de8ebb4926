// CloudAdapter with one entry point the HTTP edge can map to status codes itself: botbuilder's own
// `process` answers 500 when a token's signature is wrong (jsonwebtoken's errors are not its
// AuthenticationError), where a caller with a bad token should get 401.
import { CloudAdapter, type Activity, type InvokeResponse, type TurnContext } from 'botbuilder';
import { AuthenticationError } from 'botframework-connector';

export class TeamsEdgeAdapter extends CloudAdapter {
  /** Authenticates the request and runs the turn; resolves with the invoke response, if any. */
  handle(authHeader: string, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(authHeader, activity, logic);
  }
}

const TOKEN_ERRORS = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);

/** True for every way a request's Bot Framework token can be refused. */
export function isAuthenticationFailure(err: unknown): boolean {
  return err instanceof AuthenticationError || (err instanceof Error && TOKEN_ERRORS.has(err.name));
}
