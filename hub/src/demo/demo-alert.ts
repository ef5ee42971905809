import type { AlertRuleInput } from '../protocol/index.js';

/**
 * The alert every person who signs in to the demo gets: the demo feed's
 * email queue backs up during its latency spikes, about once a minute, so
 * the rule fires and resolves now and then and the bell has something to say.
 */
export const DEMO_ALERT_RULE: AlertRuleInput = { series: 'queue.depth,queue=emails', stat: 'max', op: '>', threshold: 40, for: 3 };
