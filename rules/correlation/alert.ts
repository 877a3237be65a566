/**
 * The alert record of a correlation, as the correlator produces it to
 * vigil.alerts and the alerter indexes it:
 *
 *   {
 *     "id": "…", "kind": "correlation",
 *     "@timestamp": "<time of the event that completed the condition>",
 *     "rule": { "id", "title", "level", "tags": [...], "type": "event_count" },
 *     "first_event_at": "…", "last_event_at": "…",
 *     "event_ids": ["<ids of the contributing events>", …],
 *     "group": { "user.name": "root" },
 *     "count": 5,          // event_count, value_count (distinct values), temporal types (rules seen)
 *     "value": 1234.5      // value_sum, value_avg, value_percentile
 *   }
 *
 * The id is deterministic (DESIGN.md, delivery semantics, point 4): 20 bytes
 * of SHA-256 over the rule, the group values and the id of the completing
 * event, base64url. A replay that completes the same condition with the
 * same event makes the same id, which the alerter stores once.
 */
import { hash } from 'node:crypto';
import type { CorrelationType, Level } from './model.ts';

export interface CorrelationAlert {
  id: string;
  kind: 'correlation';
  '@timestamp': string;
  rule: { id: string; title: string; level: Level; tags: string[]; type: CorrelationType };
  first_event_at: string;
  last_event_at: string;
  event_ids: string[];
  group: Record<string, string>;
  count?: number;
  value?: number;
}

/** The id of the alert for (correlation rule, group values in group-by order, completing event). */
export function correlationAlertId(ruleKey: string, groupValues: readonly string[], eventId: string): string {
  return (hash('sha256', `${ruleKey}\n${JSON.stringify(groupValues)}\n${eventId}`, 'buffer') as Buffer)
    .subarray(0, 20)
    .toString('base64url');
}
