// Public surface of proactive delivery: import from 'bot/delivery' rather than the parts.
export { createDelivery, GONE_STATUSES, RETRYABLE_STATUSES } from './delivery';
export type { DeliverOptions, Delivery, DeliveryLogger, DeliveryOptions, DeliveryResult, RetryOptions } from './delivery';
export { createLimiter, LimiterStoppedError, TEAMS_DELIVERY_LIMITS } from './limiter';
export type { ConversationLimiter, ConversationTarget, DeliveryLimits, LimiterOptions } from './limiter';
export { createBotFrameworkSender, createBotFrameworkUpdater, removeClientRetries } from './botframework';
export type { ActivitySender, ActivityUpdater, BotFrameworkSenderOptions } from './botframework';
export { SendError, parseRetryAfter, retryAfterFromHeaders, toSendError } from './sendError';
export { TEAMS_GLOBAL_WINDOW, TEAMS_GLOBAL_WINDOWS, TEAMS_PER_CONVERSATION_WINDOWS, rateKeyOfConversation } from './windows';
export type { RateWindow } from './windows';
export { createSharedBudget, fairShare, BudgetStoppedError } from './budget';
export type { SharedBudget, SharedBudgetOptions, TenantBudget } from './budget';
