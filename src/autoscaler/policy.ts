import type { QueueStats } from '../metrics/task-queue-stats';

/** How many workers a class may have. */
export interface ClassLimits {
  min: number;
  max: number;
}

/** How the autoscaler reads the backlog (the same for every class unless a class overrides it). */
export interface ScalingTuning {
  /** Queued tasks one worker is expected to absorb: the desired count is backlog / this, rounded up. */
  targetBacklogPerWorker: number;
  /** A backlog whose oldest task is older than this asks for one more worker, however short it is. */
  maxBacklogAgeMs: number;
  /**
   * 0…1: a scale-down waits until the backlog would fit the smaller pool with this much room to spare, so
   * that a backlog hovering around a threshold does not flap the pool.
   */
  hysteresis: number;
  /** After any change, no scale-down for this long; the backlog must also stay low for this long. */
  cooldownMs: number;
  /** After any change, no further scale-up for this long (a new worker needs a few seconds to poll). */
  upCooldownMs: number;
}

/** What the policy remembers between ticks, per class. */
export interface ScalingState {
  /** The count the pool is being driven to. */
  desired: number;
  lastChangeAt?: number;
  /** Since when the backlog has been low enough to scale down (undefined: it is not). */
  lowSince?: number;
}

export type Direction = 'up' | 'down' | 'hold';

export interface Decision {
  direction: Direction;
  desired: number;
  reason: string;
  state: ScalingState;
}

/** Backlog stats of a class, workflow and activity tasks together. */
export type Backlog = Pick<QueueStats, 'backlog' | 'oldestAgeSeconds'>;

/**
 * The autoscaler's decision for one class at `now`: a pure function of the limits, the tuning, the
 * backlog and what it decided before. Up: to the count the backlog asks for, at once. Down: one worker
 * at a time, once the backlog has stayed low for the cooldown.
 */
export function decide(limits: ClassLimits, tuning: ScalingTuning, backlog: Backlog, state: ScalingState, now: number): Decision {
  const current = clamp(state.desired, limits);
  const ageMs = backlog.oldestAgeSeconds * 1000;
  const aged = backlog.backlog > 0 && ageMs > tuning.maxBacklogAgeMs;
  const byCount = Math.ceil(backlog.backlog / tuning.targetBacklogPerWorker);
  const wanted = clamp(Math.max(byCount, aged ? current + 1 : 0), limits);
  const sinceChange = state.lastChangeAt === undefined ? Infinity : now - state.lastChangeAt;
  const hold = (reason: string, lowSince?: number): Decision => ({
    direction: 'hold',
    desired: current,
    reason,
    state: { ...state, desired: current, lowSince },
  });

  if (current !== state.desired) {
    return {
      direction: current > state.desired ? 'up' : 'down',
      desired: current,
      reason: `outside the limits ${limits.min}…${limits.max}`,
      state: { desired: current, lastChangeAt: now },
    };
  }
  if (wanted > current) {
    const why =
      byCount > current
        ? `backlog ${backlog.backlog} > ${current} × ${tuning.targetBacklogPerWorker}`
        : `oldest task ${fmtMs(ageMs)} old > ${fmtMs(tuning.maxBacklogAgeMs)}`;
    if (sinceChange < tuning.upCooldownMs) return hold(`${why}, but the last change was ${fmtMs(sinceChange)} ago`);
    return { direction: 'up', desired: wanted, reason: why, state: { desired: wanted, lastChangeAt: now } };
  }
  if (current <= limits.min) return hold(`at the minimum (backlog ${backlog.backlog})`);
  // Low enough for one worker fewer, with the hysteresis margin, and not aged.
  const roomForFewer = (current - 1) * tuning.targetBacklogPerWorker * (1 - tuning.hysteresis);
  if (aged || backlog.backlog > roomForFewer) return hold(`backlog ${backlog.backlog} does not fit ${current - 1} workers with margin`);
  const lowSince = state.lowSince ?? now;
  const lowFor = now - lowSince;
  if (lowFor < tuning.cooldownMs || sinceChange < tuning.cooldownMs) {
    return hold(`backlog ${backlog.backlog} low for ${fmtMs(lowFor)}; cooldown ${fmtMs(tuning.cooldownMs)}`, lowSince);
  }
  return {
    direction: 'down',
    desired: current - 1,
    reason: `backlog ${backlog.backlog} low for ${fmtMs(lowFor)} (≤ ${roomForFewer.toFixed(1)} for ${current - 1} workers)`,
    state: { desired: current - 1, lastChangeAt: now },
  };
}

function clamp(value: number, limits: ClassLimits): number {
  return Math.min(limits.max, Math.max(limits.min, value));
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}
