import { Counter, Gauge, type Registry } from 'prom-client';

/** What the live-status streams cost: watchers (one per watched job) and the Temporal calls they make. */
export class LiveMetrics {
  readonly watchers: Gauge;
  readonly subscribers: Gauge;
  readonly historyPolls: Counter;
  readonly describes: Counter;

  constructor(registry: Registry) {
    this.watchers = new Gauge({
      name: 'jobline_live_watchers',
      help: 'Jobs watched for live status in this API process (one history long-poll each)',
      registers: [registry],
    });
    this.subscribers = new Gauge({
      name: 'jobline_live_subscribers',
      help: 'Open event streams and ?wait requests in this API process',
      registers: [registry],
    });
    this.historyPolls = new Counter({
      name: 'jobline_live_history_polls_total',
      help: 'getWorkflowExecutionHistory calls made by live-status watchers',
      registers: [registry],
    });
    this.describes = new Counter({
      name: 'jobline_live_describes_total',
      help: 'Describe calls (and batch progress queries) made by live-status watchers for an attempt in flight',
      registers: [registry],
    });
  }
}
