// CloudAdapter with one entry point the HTTP edge can map to status codes itself: botbuilder's own
// `process` answers 500 when a token's signature is wrong (jsonwebtoken's errors are not its
// AuthenticationError), where a caller with a bad token should get 401. Built here from the bot's
// Bot Framework settings, so that the composition root does not need botbuilder.
import { CallerIdConstants, CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type InvokeResponse, type TurnContext } from 'botbuilder';
import { AuthenticationConstants, AuthenticationError } from 'botframework-connector';
import type { Config } from '../config';
import { outgoing } from '../core/conversation';
import type { Reply } from '../core/turn';
import type { Logger } from '../log';

export class TeamsEdgeAdapter extends CloudAdapter {
  /** Authenticates the request and runs the turn; resolves with the invoke response, if any. */
  handle(authHeader: string, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(authHeader, activity, logic);
  }
}

/**
 * The adapter for the bot's Bot Framework settings. A turn that throws is logged, and a message
 * gets `errorReply` (an apology with the request id) rather than silence.
 */
export function createTeamsEdgeAdapter(bot: Config['bot'], logger: Logger, errorReply: (requestId: string | undefined) => Reply): TeamsEdgeAdapter {
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: bot.appId ?? '',
    MicrosoftAppPassword: bot.password ?? '',
    MicrosoftAppType: bot.appType,
    MicrosoftAppTenantId: bot.tenantId ?? '',
    ...(bot.openIdMetadata ? publicCloudWithOpenIdMetadata(bot.openIdMetadata) : {}),
  });
  const adapter = new TeamsEdgeAdapter(auth);
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    logger.error({ err: { message: error.message, stack: error.stack }, activityId: context.activity?.id }, 'turn failed');
    try {
      if (context.activity?.type === 'message') await context.sendActivity(outgoing(errorReply(context.activity.id)));
    } catch {
      // The channel itself failed; the log line above is all we can do.
    }
  };
  return adapter;
}

/**
 * botbuilder treats any one overridden authentication setting as "all of them are given" and
 * leaves the rest empty (which refuses every token), so an OpenID metadata override comes with
 * the public cloud's values for everything else.
 */
function publicCloudWithOpenIdMetadata(openIdMetadata: string): Record<string, string | boolean> {
  return {
    ValidateAuthority: true,
    ToChannelFromBotLoginUrl: AuthenticationConstants.ToChannelFromBotLoginUrl,
    ToChannelFromBotOAuthScope: AuthenticationConstants.ToChannelFromBotOAuthScope,
    ToBotFromChannelTokenIssuer: AuthenticationConstants.ToBotFromChannelTokenIssuer,
    OAuthUrl: AuthenticationConstants.OAuthUrl,
    ToBotFromChannelOpenIdMetadataUrl: openIdMetadata,
    ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
    CallerId: CallerIdConstants.PublicAzureChannel,
  };
}

const TOKEN_ERRORS = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);

/** True for every way a request's Bot Framework token can be refused. */
export function isAuthenticationFailure(err: unknown): boolean {
  return err instanceof AuthenticationError || (err instanceof Error && TOKEN_ERRORS.has(err.name));
}
