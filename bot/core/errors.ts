// Errors a person can act on. Handlers throw these (or the ARM client's ArmError and
// PimValidationError); the router turns any of them into an error card with the message as the one
// sentence and `hint` as what to do. Anything else is a bug: it is logged, and the person sees a
// generic apology with the request id, never a stack trace. A refusal says which check refused
// (`refusal`), so that whoever audits it need not parse the sentence.
import type { RefusalReason } from '../store/types';

export type BotErrorCode =
  | 'TenantNotAllowed'
  | 'NotAuthorized'
  | 'BadActionData'
  | 'ScopeNotConfigured'
  | 'AlertNotFound'
  | 'IncidentNotFound'
  | 'Ambiguous'
  | 'InvalidInput'
  | 'AlreadyDone'
  | 'NotSupported';

export class BotError extends Error {
  constructor(
    readonly code: BotErrorCode,
    message: string,
    readonly hint?: string,
    readonly refusal?: RefusalReason,
  ) {
    super(message);
    this.name = 'BotError';
  }
}
