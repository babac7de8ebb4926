// Everything a handler may use, built once in the composition root (bot/app.ts). Tests build the
// same object with fakes; nothing here is a module-level singleton.
import type { PimAlertsApi } from '../azure/api';
import type { CardContext } from '../../cards';
import type { Config, ConfiguredScope } from '../config';
import type { Logger } from '../log';
import type { ActionSigner } from '../security/signing';
import type { Authorizer } from '../security/authorizer';
import type { BotStore } from '../store/types';
import type { ConversationRef } from './conversation';
import type { DigestService } from '../digest/scheduler';
import type { RefusalBudget } from './audit';
import type { Telemetry } from '../telemetry';

export interface Clock {
  now(): number;
}

/** What every service needs; built first in the composition root. */
export interface ServiceDeps {
  config: Pick<Config, 'mode' | 'timeZone' | 'authz' | 'pollDeadlineMs'>;
  scopes: readonly ConfiguredScope[];
  api: PimAlertsApi;
  signer: ActionSigner;
  authorizer: Authorizer;
  store: BotStore;
  clock: Clock;
  logger: Logger;
  /** How many refusals are stored one by one (the rest are counted in the log); none: all are stored. */
  refusals?: RefusalBudget;
  /** Metrics about what the bot did (no-op when telemetry is off). */
  telemetry?: Telemetry;
}

/** What handlers get: the services, and the background work built on them (refresh tracking, digests). */
export interface CoreDeps extends ServiceDeps {
  /** Work that outlives the request (refresh polling, card updates for everyone). */
  background: BackgroundWork;
  /** Scheduled digests; handlers tell it about new and removed subscriptions. */
  digests: Pick<DigestService, 'schedule' | 'unschedule'>;
}

/** Work that continues after the invoke has been answered. */
export interface BackgroundWork {
  /** Starts polling a stored pending operation (already persisted by the caller). */
  trackOperation(id: string): void;
  /** Replaces a card the bot sent earlier, for everyone in the conversation. */
  updateCard(reference: ConversationRef, activityId: string, card: Record<string, unknown>): Promise<void>;
}

/** The CardContext every card of this turn is built with: signed buttons, the bot's time zone. */
export function cardContextOf(deps: Pick<CoreDeps, 'signer' | 'clock' | 'config'>): CardContext {
  return {
    actionData: (payload) => deps.signer.sign(payload),
    now: new Date(deps.clock.now()),
    timeZone: deps.config.timeZone,
    localRunNote:
      deps.config.mode === 'local'
        ? deps.config.authz.mode === 'everyone'
          ? 'Local run against the simulator: everyone may act.'
          : 'Local run against the simulator: rights come from its seeded role assignments.'
        : undefined,
  };
}
