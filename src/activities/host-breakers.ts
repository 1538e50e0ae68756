import { circuitBreaker, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { noteBreakerState } from './batch/handlers/breaker-states';

export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  failures: number;
  /** How long it stays open before one probe may pass. */
  halfOpenAfterMs: number;
}

/**
 * One circuit breaker per target host (and settings) in this worker process, shared by whoever calls that
 * host: the batch's http-deliver handler and webhook deliveries. `counts` says which errors are the
 * target's (they open the breaker); its state per host goes to the worker metrics.
 */
export class HostBreakers {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();

  constructor(private readonly counts: (err: unknown) => boolean) {}

  for(url: URL, settings: BreakerSettings): CircuitBreakerPolicy {
    const key = `${url.protocol}//${url.host} ${settings.failures} ${settings.halfOpenAfterMs}`;
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(this.counts), {
        halfOpenAfter: settings.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(settings.failures),
      });
      breaker.onStateChange((state) => noteBreakerState(url.host, state));
      noteBreakerState(url.host, breaker.state);
      this.breakers.set(key, breaker);
    }
    return breaker;
  }
}
