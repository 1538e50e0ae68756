import { temporal } from '@temporalio/proto';
import { deriveStatus, type CoarseJobStatus, type JobStatus, type WorkflowStatusName } from '../../jobs/status';
import type { JobProgress } from '../../jobs/kind-view';
import type { JobView, PendingAttempt } from '../job-view';
import { compareKeys, Phase, START_KEY, type EventKey } from './event-id';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface StatusData {
  status: JobStatus;
  /** running/retrying: the attempt; queued: 1 (the next); dead-lettered and finished: the last one run; else 0. */
  attempt: number;
  at: string;
}
export type ProgressData = JobProgress & { at: string };

export type LiveEvent =
  | { key: EventKey; type: 'status'; data: StatusData }
  | { key: EventKey; type: 'progress'; data: ProgressData }
  | { key: EventKey; type: 'end'; data: JobView };

/** Waits for a job's dependencies (`dependsOn`): not an attempt of the job. */
const NOT_ATTEMPTS: ReadonlySet<string> = new Set(['awaitJob']);

const CLOSE_STATUS: Partial<Record<number, WorkflowStatusName>> = {
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]: 'COMPLETED',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED]: 'FAILED',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED]: 'CANCELLED',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT]: 'TIMED_OUT',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED]: 'TERMINATED',
};

const ATTEMPT_ENDS = new Map<number, (event: HistoryEvent) => unknown>([
  [EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId],
  [EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, (e) => e.activityTaskFailedEventAttributes?.scheduledEventId],
  [EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, (e) => e.activityTaskTimedOutEventAttributes?.scheduledEventId],
  [EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, (e) => e.activityTaskCanceledEventAttributes?.scheduledEventId],
]);

/** Reads the `JobStatus` search attribute from an event's indexed fields (search attributes bypass codecs). */
export type CoarseReader = (fields: Record<string, temporal.api.common.v1.IPayload> | null | undefined) => CoarseJobStatus | undefined;

/**
 * A job's status transitions, derived from its workflow history one event at a time, plus what only the
 * pending activity shows (an attempt running or waiting to retry, its heartbeat progress). The same history
 * gives the same events with the same keys in every process: that is what makes `Last-Event-ID` exact.
 *
 * Temporal writes an activity's started event only when its last attempt ends, so from the history alone a
 * job goes from queued to completed; the `running` and `retrying` of an attempt in flight come from
 * `observePending`, keyed by the activity's scheduled event and the attempt, which is also the key the
 * started event gets once it is written (the two never both appear).
 */
export class StatusTimeline {
  readonly events: LiveEvent[] = [];
  private coarse: CoarseJobStatus | undefined;
  /** The attempt activity in flight: its scheduled event (as a global position) and its latest attempt. */
  private open: { scheduled: number; attempt: number } | undefined;
  private lastAttempt = 0;
  private last: StatusData | undefined;
  private lastKey: EventKey = START_KEY;
  /** Event ids of earlier runs (continue-as-new), so positions keep growing across runs. */
  private offset = 0;
  private closedAt: EventKey | undefined;

  constructor(
    /** A pipeline or a batch: runs children or chunks, not one attempt; active means running. */
    private readonly composite: boolean,
    private readonly readCoarse: CoarseReader,
  ) {}

  get status(): JobStatus | undefined {
    return this.last?.status;
  }

  /** The key of the close event once the job finished (the `end` follows it). */
  get closed(): EventKey | undefined {
    return this.closedAt;
  }

  /** Whether the pending activity can tell more (running, retrying, progress) than the history has. */
  get attemptInFlight(): boolean {
    return this.open !== undefined && this.coarse === 'active' && !this.closedAt;
  }

  get running(): boolean {
    return this.last?.status === 'running' && !this.closedAt;
  }

  /** Applies one history event; returns the new run's id when this one continued as new. */
  apply(event: HistoryEvent): string | undefined {
    const position = this.offset + historyNumber(event.eventId);
    const at = timeOf(event);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        this.coarse = this.readCoarse(event.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields) ?? 'active';
        this.emitCoarse(position, at);
        return undefined;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const next = this.readCoarse(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields);
        if (!next) return undefined;
        this.coarse = next;
        // A terminal value is confirmed by the close event that follows: that one carries the status.
        this.emitCoarse(position, at);
        return undefined;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const name = event.activityTaskScheduledEventAttributes?.activityType?.name ?? '';
        if (this.composite || NOT_ATTEMPTS.has(name)) return undefined;
        this.open = { scheduled: position, attempt: 1 };
        if (this.coarse === 'active') this.emit([position, 0, 0, 0], { status: 'queued', attempt: 1, at });
        return undefined;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const attributes = event.activityTaskStartedEventAttributes;
        const open = this.open;
        if (!open || this.offset + historyNumber(attributes?.scheduledEventId) !== open.scheduled) return undefined;
        const attempt = attributes?.attempt ?? 1;
        this.lastAttempt = attempt;
        this.emit([open.scheduled, attempt, Phase.running, 0], { status: 'running', attempt, at });
        return undefined;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        this.offset = position;
        this.open = undefined;
        return event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      default:
        break;
    }
    const ended = ATTEMPT_ENDS.get(event.eventType ?? 0)?.(event);
    if (ended !== undefined && this.open && this.offset + historyNumber(ended) === this.open.scheduled) this.open = undefined;
    const closeStatus = CLOSE_STATUS[event.eventType ?? 0];
    if (closeStatus) {
      const status = deriveStatus(closeStatus, this.coarse, undefined, this.composite);
      this.open = undefined;
      this.closedAt = [position, 0, 0, 0];
      this.emit(this.closedAt, { status, attempt: this.lastAttempt, at });
    }
    return undefined;
  }

  /** What the pending activity says of the attempt in flight (from a describe): running, or waiting to retry. */
  observePending(pending: PendingAttempt | undefined, now: Date): void {
    const open = this.open;
    if (!pending || !open || !this.attemptInFlight) return;
    if (pending.state === 'started' || pending.state === 'cancel_requested') {
      open.attempt = pending.attempt;
      const at = pending.lastStartedAt ?? now;
      this.emit([open.scheduled, pending.attempt, Phase.running, 0], { status: 'running', attempt: pending.attempt, at: at.toISOString() });
    } else if (pending.state === 'scheduled' && pending.attempt > 1) {
      open.attempt = pending.attempt;
      this.emit([open.scheduled, pending.attempt, Phase.retrying, 0], {
        status: 'retrying',
        attempt: pending.attempt,
        at: now.toISOString(),
      });
    }
  }

  /** A progress sample of the running attempt (or the running batch); kept only when it moved forward. */
  observeProgress(progress: JobProgress | undefined, now: Date): void {
    if (!progress || !this.running) return;
    const anchor: EventKey = this.open
      ? [this.open.scheduled, this.open.attempt, Phase.progress, 0]
      : [this.lastKey[0], 0, Phase.progress, 0];
    const key: EventKey = [anchor[0], anchor[1], anchor[2], Math.max(0, Math.floor(progress.done))];
    if (compareKeys(key, this.lastKey) <= 0) return;
    this.push({ key, type: 'progress', data: { ...progress, at: now.toISOString() } });
  }

  /** The final event: the job's view, after its close event. */
  end(view: JobView): void {
    if (!this.closedAt) return;
    this.push({ key: [this.closedAt[0], 0, Phase.end, 0], type: 'end', data: view });
  }

  private emitCoarse(position: number, at: string): void {
    const coarse = this.coarse;
    if (coarse === 'waiting' || coarse === 'scheduled' || coarse === 'dead_lettered') {
      this.emit([position, 0, 0, 0], { status: coarse, attempt: coarse === 'dead_lettered' ? this.lastAttempt : 0, at });
    } else if (coarse === 'active') {
      this.emit([position, 0, 0, 0], this.composite ? { status: 'running', attempt: 0, at } : { status: 'queued', attempt: 1, at });
    }
  }

  /** A status event, unless it says what the last one said or comes from a stale observation. */
  private emit(key: EventKey, data: StatusData): void {
    if (compareKeys(key, this.lastKey) <= 0) return;
    const last = this.last;
    const attemptMatters = data.status === 'running' || data.status === 'retrying';
    if (last && last.status === data.status && (!attemptMatters || last.attempt === data.attempt)) return;
    this.last = data;
    this.push({ key, type: 'status', data });
  }

  private push(event: LiveEvent): void {
    this.lastKey = event.key;
    this.events.push(event);
  }
}

function timeOf(event: HistoryEvent): string {
  const time = event.eventTime;
  if (!time) return new Date().toISOString();
  return new Date(historyNumber(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6)).toISOString();
}

/** int64 fields arrive as Long objects (or numbers): positions and seconds fit a double. */
export function historyNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof (value as { toNumber?: unknown }).toNumber === 'function') return (value as { toNumber(): number }).toNumber();
  return Number(value ?? 0);
}
