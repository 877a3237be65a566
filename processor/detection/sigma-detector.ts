/**
 * Sigma detection in the processor: the rules in force (hot-reloaded by
 * RuleSetHolder) evaluated on each event; every match becomes an alert
 * record for `vigil.alerts`, and the events that feed correlation rules
 * become signals for `vigil.signals` (through `signalsFor`, given by the
 * correlation engine when correlation rules are loaded).
 */
import type { RuleHit, RuleSetHolder } from '../../rules/sigma/index.ts';
import { buildAlert } from '../../rules/sigma/index.ts';
import type { EcsEvent } from '../event-builder.ts';
import type { Detection, Detector, OutboundMessage } from './detector.ts';

export interface SigmaDetectorOptions {
  /** Signals for the correlator from the hits on one event; none by default. */
  signalsFor?: (hits: readonly RuleHit[], event: EcsEvent, eventId: string) => OutboundMessage[];
  /** Whether a hit raises an alert of its own (Sigma: not when only a correlation uses the rule); default yes. */
  alerts?: (hit: RuleHit) => boolean;
}

export class SigmaDetector implements Detector {
  readonly name = 'sigma';
  readonly #rules: RuleSetHolder;
  readonly #options: SigmaDetectorOptions;

  constructor(rules: RuleSetHolder, options: SigmaDetectorOptions = {}) {
    this.#rules = rules;
    this.#options = options;
  }

  start(): void {
    this.#rules.start();
  }

  detect(event: EcsEvent, eventId: string, index: string): Detection | undefined {
    const hits = this.#rules.current.match(event);
    if (hits.length === 0) return undefined;
    const alerts: OutboundMessage[] = [];
    for (const hit of hits) {
      if (this.#options.alerts && !this.#options.alerts(hit)) continue;
      const alert = buildAlert(hit, event, { eventId, eventIndex: index });
      alerts.push({ key: alert.id, value: alert });
    }
    return {
      ruleIds: hits.map((hit) => hit.ruleId),
      alerts,
      signals: this.#options.signalsFor?.(hits, event, eventId) ?? [],
    };
  }

  stop(): void {
    this.#rules.stop();
  }
}
