import { CircuitState } from 'cockatiel';

/**
 * The state of each target host's circuit breaker in this worker, for the metrics. Bounded: hosts come from
 * job inputs, so at most MAX_HOSTS are kept, and a closed breaker is the first to make room.
 */
const MAX_HOSTS = 50;
const states = new Map<string, CircuitState>();

export function noteBreakerState(host: string, state: CircuitState): void {
  states.delete(host);
  if (states.size >= MAX_HOSTS) {
    const closed = [...states].find(([, s]) => s === CircuitState.Closed)?.[0] ?? states.keys().next().value;
    if (closed !== undefined) states.delete(closed);
  }
  states.set(host, state);
}

/** 0 closed, 1 half-open, 2 open (isolated counts as open): what the metric's value means. */
export function breakerStates(): Array<{ host: string; value: number }> {
  const value = (state: CircuitState) => (state === CircuitState.Closed ? 0 : state === CircuitState.HalfOpen ? 1 : 2);
  return [...states].map(([host, state]) => ({ host, value: value(state) }));
}
