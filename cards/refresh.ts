// What a finished rescan says to people: which alerts are active now, which the scan cleared or
// raised, how many incidents each has, on which scope, and for a failed scan which alerts it could
// not scan. Alerts are named as people know them, never by id. Three lengths of the same story: the
// reply in the card's thread (whole sentences), the banner on the card itself (short enough never to
// be cut; the card below it lists the alerts) and the audit log's detail. The reply is a Teams
// message, which renders Markdown: every name and every word from the service is untrusted text.
import type { Alert } from '../bot/azure/models';
import { compareAlerts, incidentCountOf } from './summary';
import { humaniseKey, plural, untrustedSentence } from './format';
import { TEXT_LIMITS } from './size';
import { untrustedText } from './text';

/** An alert that was active when the rescan started. */
export interface ActiveBefore {
  alertId: string;
  incidentCount: number;
}

export interface RefreshOutcomeInput {
  outcome: 'succeeded' | 'failed' | 'canceled' | 'timedOut';
  durationMs: number;
  /** The service's last status, for a scan that did not finish. */
  status?: string;
  /** The service's per-alert details (name = alert id). */
  details: ReadonlyArray<{ name?: string; statusDetail?: string }>;
  /** Who started it. */
  requester?: string;
  /** The scope as people know it ("Contoso Production"). */
  scopeLabel: string;
  /** The alert rescanned; absent for every alert of the scope. */
  alertId?: string;
  /** The active alerts when the scan started; absent when not known (then nothing is called cleared). */
  before?: readonly ActiveBefore[];
  /** The scope's alerts (or the one alert) read after the scan; absent when they could not be read. */
  after?: readonly Alert[];
}

export interface RefreshOutcomeText {
  /** Whole sentences, posted in the card's thread. */
  reply: string;
  /** One short line above the card, which lists the alerts itself. */
  banner: string;
  /** For the audit log. */
  audit: string;
}

/** Alerts named in a reply before "and N more". */
const MAX_NAMED = 10;
/** Caps for a person's name in the banner and an alert's name: a banner of them stays far under the 300 characters it is cut at. */
const PERSON_CHARS = 60;
const ALERT_CHARS = 100;

/** "5 s", "31 min". */
export function formatDuration(ms: number): string {
  if (ms < 90_000) return `${Math.max(1, Math.round(ms / 1000))} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** "A", "A and B", "A, B and C", "A, B … and 3 more". */
function listing(items: readonly string[]): string {
  const shown = items.slice(0, MAX_NAMED);
  const rest = items.length - shown.length;
  const parts = rest > 0 ? [...shown, `${rest} more`] : shown;
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function describeRefreshOutcome(input: RefreshOutcomeInput): RefreshOutcomeText {
  const after = input.after;
  const nameOf = (id: string): string => {
    const known = after?.find((a) => same(a.name, id))?.properties.alertDefinition?.properties.displayName?.trim();
    // Directory alert ids carry the tenant: DirectoryRole_<tenant id>_StaleSignInAlert.
    return untrustedText(known || humaniseKey(id.split('_').pop() || id), ALERT_CHARS);
  };
  const scopeLabel = untrustedText(input.scopeLabel, TEXT_LIMITS.name);
  const took = formatDuration(input.durationMs);
  const person = untrustedText(input.requester, TEXT_LIMITS.name) || undefined;
  const by = person ? ` (started by ${person})` : '';
  const bannerPerson = untrustedText(input.requester, PERSON_CHARS) || undefined;
  const target = input.alertId ? `${nameOf(input.alertId)} on ${scopeLabel}` : `all alerts on ${scopeLabel}`;
  const bannerHead = `Refresh${bannerPerson ? ` by ${bannerPerson}` : ''}`;
  const sentences: string[] = [];
  let summary = '';

  switch (input.outcome) {
    case 'succeeded':
      sentences.push(`Refresh of ${target} succeeded after ${took}${by}.`);
      break;
    case 'failed':
      sentences.push(`Refresh of ${target} failed after ${took}${by}.`);
      break;
    case 'canceled':
      sentences.push(`Refresh of ${target} was canceled after ${took}${by}.`);
      break;
    case 'timedOut':
      sentences.push(`Refresh of ${target} did not finish within ${took}${by}, so I stopped waiting; its last status was ${untrustedText(input.status, TEXT_LIMITS.name) || 'unknown'}.`);
      break;
  }

  // What the service said about alerts it could not scan, by name; a detail without a name (I could
  // not check the scan: …) is said as it is, in one sentence.
  if (input.outcome !== 'succeeded') {
    const failed = input.details.filter((d) => d.name && /fail/i.test(d.statusDetail ?? '')).map((d) => nameOf(d.name!));
    if (failed.length) sentences.push(`The scan of ${listing(failed)} failed.`);
    for (const d of input.details.filter((x) => !x.name && x.statusDetail?.trim())) {
      const s = untrustedSentence(d.statusDetail!, TEXT_LIMITS.sentence);
      sentences.push(/[.!?]$/.test(s) ? s : `${s}.`);
    }
  }
  const skipped = input.details.filter((d) => d.name && /skipped/i.test(d.statusDetail ?? '')).map((d) => nameOf(d.name!));
  if (skipped.length) sentences.push(`Not scanned because ${skipped.length === 1 ? 'it is' : 'they are'} turned off: ${listing(skipped)}.`);

  // The state after the scan, compared with the state before it.
  if (after && input.outcome !== 'timedOut') {
    const before = input.before;
    const wasActive = (id: string) => before?.find((b) => same(b.alertId, id));
    const active = after.filter((a) => a.properties.isActive !== false).sort(compareAlerts);
    const cleared = before ? before.filter((b) => !active.some((a) => same(a.name, b.alertId))).map((b) => nameOf(b.alertId)) : [];
    const raised = before ? active.filter((a) => !wasActive(a.name)) : [];
    const incidents = (a: Alert): string => {
      const n = incidentCountOf(a);
      const was = wasActive(a.name);
      const change = !before ? '' : !was ? ', newly active' : was.incidentCount !== n ? `, was ${was.incidentCount}` : '';
      return `${plural(n, 'incident')}${change}`;
    };
    if (input.alertId) {
      const alert = after.find((a) => same(a.name, input.alertId!));
      if (alert && alert.properties.isActive !== false) {
        const was = wasActive(alert.name);
        const n = incidentCountOf(alert);
        sentences.push(`It is ${before && !was ? 'now ' : ''}active, with ${plural(n, 'incident')}${was && was.incidentCount !== n ? ` (was ${was.incidentCount})` : ''}.`);
        summary = `${before && !was ? 'now active' : 'active'}, ${plural(n, 'incident')}`;
      } else if (alert) {
        sentences.push(before && wasActive(alert.name) ? 'It is no longer active.' : 'It is not active.');
        summary = before && wasActive(alert.name) ? 'no longer active' : 'not active';
      }
    } else {
      sentences.push(
        active.length === 0
          ? `No alerts are active on ${scopeLabel} now.`
          : `${plural(active.length, 'alert')} ${active.length === 1 ? 'is' : 'are'} active on ${scopeLabel} now: ${listing(active.map((a) => `${nameOf(a.name)} (${incidents(a)})`))}.`,
      );
      if (cleared.length) sentences.push(`Cleared by this scan: ${listing(cleared)}.`);
      summary = [plural(active.length, 'alert') + ' active', ...(cleared.length ? [`${cleared.length} cleared`] : []), ...(raised.length ? [`${raised.length} newly active`] : [])].join(', ');
    }
  }
  if (input.outcome === 'failed') sentences.push('Try again, or check the alert in the portal.');
  if (input.outcome === 'timedOut') sentences.push(`Type \`refresh\` to start another.`);

  const verb = { succeeded: 'succeeded after', failed: 'failed after', canceled: 'was canceled after', timedOut: 'did not finish within' }[input.outcome];
  const failedCount = input.details.filter((d) => d.name && /fail/i.test(d.statusDetail ?? '')).length;
  const bannerTail =
    input.outcome === 'failed' ? (failedCount ? `: the scan of ${plural(failedCount, 'alert')} failed` : '') : input.outcome === 'timedOut' ? '' : summary ? `: ${summary}` : '';
  return {
    reply: sentences.join(' '),
    banner: `${bannerHead} ${verb} ${took}${bannerTail}`,
    audit: `Refresh ${verb} ${took}${input.outcome === 'timedOut' ? '' : summary ? `: ${summary}` : ''}.`,
  };
}
