import { ApplicationFailure, condition, log, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { FailureType } from '../jobs/failure-types';
import type { JobSpec } from '../jobs/spec';
import { JobStatusKey } from '../jobs/search-attributes';
import { awaitDependencies } from './dependencies';
import type { CoarseJobStatus, JobError, JobMemo, JobStateSnapshot } from './job-state';
import { discardSignal, getJobStateQuery, retrySignal, type RetryRequest } from './messages';
import { recordJobEnd, type EndStatus } from './job-metrics';
import { tellParent } from './parent';
import { startDelivery } from './notify';
import type { NotifyEvent } from '../webhooks/events';

/** The statuses whose arrival the metrics count: the terminal ones and the dead letters. */
const END_STATUSES: ReadonlySet<CoarseJobStatus> = new Set<CoarseJobStatus>([
  'completed',
  'failed',
  'cancelled',
  'timed_out',
  'dead_lettered',
]);

type DeadLetterEntry = JobStateSnapshot['deadLetterHistory'][number];
type Decision = { kind: 'retry'; request: RetryRequest } | { kind: 'discard'; reason: string };
/** Memo fields a lifecycle step writes beside its own (a batch adds its progress, a job its attempts). */
type MemoFields = { [K in keyof JobMemo]?: JobMemo[K] | null };
/** What a webhook tells about the transition besides the status. */
type TransitionFacts = { lastError?: JobError; attempts?: number | null };

export interface LifecycleOptions {
  jobId: string;
  /** What the log lines call it: `job`, `batch`. */
  noun: string;
  /** Dead-letter entries of earlier runs (a batch carries them across continue-as-new). */
  deadLetterHistory?: DeadLetterEntry[];
  /** What `getJobState` answers besides the lifecycle's own part: the round and the input a retry uses. */
  snapshot?: () => Pick<JobStateSnapshot, 'round' | 'input' | 'lastError'>;
  /** A retry that carries an input the kind cannot use (a batch re-runs its failed items) is logged, not applied. */
  acceptsRetryInput?: boolean;
  /** The job's type and creation time, for the metrics of its end (src/workflows/job-metrics.ts). */
  spec?: Pick<JobSpec, 'type' | 'createdAt'> & Partial<Pick<JobSpec, 'notify' | 'correlationId' | 'metadata' | 'tenant'>>;
  /** `JobSpec.lifecycleRevision`: what this run writes, as it was when the job was submitted (absent: 1). */
  revision?: number;
}

/**
 * The one lifecycle every job workflow (runJob, runBatch, runPipeline) goes through: its coarse status in
 * the `JobStatus` search attribute, the dead letters (park, wait for an operator's retry or discard, come
 * back), telling a parent pipeline, and the memo fields that the API reads without a worker. The kinds
 * decide *when*; this module decides *what is written*, so that a status, a memo field or a notification
 * added later is added once.
 */
export class JobLifecycle {
  private current: CoarseJobStatus = 'active';
  private decision: Decision | undefined;
  /** Webhook deliveries whose start the server has not confirmed yet. */
  private readonly starting: Array<Promise<void>> = [];
  readonly deadLetterHistory: DeadLetterEntry[];

  constructor(private readonly options: LifecycleOptions) {
    this.deadLetterHistory = options.deadLetterHistory ?? [];
  }

  get status(): CoarseJobStatus {
    return this.current;
  }

  /** Registers the retry and discard signals (they count only while the job is parked) and the state query. */
  handleMessages(): this {
    const { jobId, noun } = this.options;
    setHandler(retrySignal, (request) => {
      if (this.current !== 'dead_lettered') {
        log.warn(`retry signal ignored: the ${noun} is not dead-lettered`, { jobId, status: this.current });
        return;
      }
      if (request?.input !== undefined && this.options.acceptsRetryInput === false) {
        log.warn(`a ${noun} retry re-runs its failed items; the input given was ignored`, { jobId });
      }
      this.decision = { kind: 'retry', request: request ?? {} };
    });
    setHandler(discardSignal, (request) => {
      if (this.current !== 'dead_lettered') {
        log.warn(`discard signal ignored: the ${noun} is not dead-lettered`, { jobId, status: this.current });
        return;
      }
      this.decision = { kind: 'discard', reason: request?.reason ?? 'discarded by an operator' };
    });
    const snapshot = this.options.snapshot;
    if (snapshot) {
      setHandler(getJobStateQuery, () => ({ status: this.current, ...snapshot(), deadLetterHistory: this.deadLetterHistory }));
    }
    return this;
  }

  setStatus(next: CoarseJobStatus, facts: TransitionFacts = {}): void {
    const previous = this.current;
    this.current = next;
    upsertSearchAttributes([{ key: JobStatusKey, value: next }]);
    if (END_STATUSES.has(next) && this.options.spec) recordJobEnd(this.options.spec.type, next as EndStatus, this.options.spec.createdAt);
    const event = eventOf(previous, next);
    if (event) this.notify(event, facts);
  }

  /**
   * The webhooks of `spec.notify` (src/workflows/notify.ts): every transition comes through here once. A job
   * without `notify` gets no command from it, so its history replays as before.
   */
  private notify(event: NotifyEvent, facts: TransitionFacts = {}): void {
    const spec = this.options.spec;
    if (!spec?.notify) return;
    const { jobId } = this.options;
    // Dead letters and retries may happen more than once: the n-th gets its own webhook id.
    const parked = this.deadLetterHistory.length;
    const occurrence = event === 'dead_lettered' ? parked + 1 : event === 'retried' ? parked : 1;
    const path = `/v1/jobs/${encodeURIComponent(jobId)}`;
    const started = startDelivery(spec.notify, event, occurrence, spec.tenant, {
      id: jobId,
      type: spec.type,
      status: event === 'retried' ? 'running' : event,
      ...(spec.correlationId ? { correlationId: spec.correlationId } : {}),
      ...(spec.metadata ? { metadata: spec.metadata } : {}),
      ...(spec.createdAt ? { createdAt: spec.createdAt } : {}),
      // Before a park is recorded and after a retry alike, the round under way is one past the parks so far.
      round: this.deadLetterHistory.length + 1,
      ...(typeof facts.attempts === 'number' ? { attempts: facts.attempts } : {}),
      ...(facts.lastError ? { lastError: { type: facts.lastError.type, message: facts.lastError.message } } : {}),
      links: { self: path, result: `${path}/result` },
    });
    if (started) this.starting.push(started);
  }

  /**
   * Resolves once every webhook delivery is started. A kind awaits it before its run closes: the server
   * starts no child for a closed parent. Without `notify` there is nothing to wait for and no command.
   */
  async settled(): Promise<void> {
    while (this.starting.length > 0) await this.starting.shift();
  }

  /**
   * Waits for the jobs in `dependsOn` (status `waiting` meanwhile) and returns their results; undefined
   * when there are none. The status goes back to `active` only if it left it (unless `resume: false`: a
   * job with a `runAt` goes on to `scheduled`). A dependency that did not complete ends the job here.
   */
  async awaitDependencies(spec: JobSpec, options: { resume?: boolean } = {}): Promise<Record<string, unknown> | undefined> {
    const wait = await awaitDependencies(spec, () => this.setStatus('waiting'));
    if (wait.kind === 'failed') {
      this.setStatus(wait.status, { lastError: wait.lastError });
      upsertMemo({ lastError: wait.lastError, finishedAt: nowIso() });
      throw wait.failure;
    }
    if (wait.results && options.resume !== false) this.setStatus('active');
    // A job that never left `active` starts running now, unless its `runAt` is still ahead (the kind then
    // goes through `scheduled`, and setStatus announces the start).
    const delayed = options.resume === false && spec.runAt !== undefined && Date.parse(spec.runAt) > Date.now();
    if (this.current === 'active' && !wait.results && !delayed) this.notify('running');
    return wait.results;
  }

  /**
   * Parks the job as a dead letter and waits for an operator. Returns the retry request; a discard ends the
   * job `failed` (the ApplicationFailure carries `discardDetails`).
   */
  async park(error: JobError, round: number, memo: MemoFields, discardDetails: unknown): Promise<RetryRequest> {
    // Forget any earlier decision before announcing the state: from here on a retry or discard counts,
    // also one that arrives while the parent is being told.
    this.decision = undefined;
    this.setStatus('dead_lettered', { lastError: error, attempts: memo.attempts });
    await tellParent(this.options.jobId, 'dead_lettered');
    const at = nowIso();
    this.deadLetterHistory.push({ ...error, round, at });
    upsertMemo({ lastError: error, deadLetteredAt: at, ...memo });
    await condition(() => this.decision !== undefined);
    const chosen = this.decision as unknown as Decision;
    if (chosen.kind === 'discard') {
      this.setStatus('failed', { lastError: error });
      upsertMemo({ deadLetteredAt: null, finishedAt: nowIso() });
      throw ApplicationFailure.nonRetryable(`${chosen.reason}: ${error.message}`, FailureType.JobDiscarded, discardDetails);
    }
    return chosen.request;
  }

  /** Back from the dead letters into `round`. */
  async resume(round: number, memo: MemoFields): Promise<void> {
    this.setStatus('active');
    upsertMemo({ round, deadLetteredAt: null, ...memo });
    await tellParent(this.options.jobId, 'running');
  }

  /**
   * From revision 2 on, only the kind's own memo fields: the execution's Completed status and close time say
   * the rest, and `deriveStatus`/`statusClause` read them (an upsert here would cost an event and a
   * visibility write per job). Earlier revisions keep their writes so that their histories replay.
   */
  complete(memo: MemoFields): void {
    if ((this.options.revision ?? 1) >= 2) {
      // Visibility knows a completed run by its close status: no status upsert, only the metrics.
      this.current = 'completed';
      if (this.options.spec) recordJobEnd(this.options.spec.type, 'completed', this.options.spec.createdAt);
      if (Object.keys(memo).length > 0) upsertMemo(memo);
      this.notify('completed', { attempts: memo.attempts });
      return;
    }
    this.setStatus('completed', { attempts: memo.attempts });
    upsertMemo({ ...memo, finishedAt: nowIso() });
  }

  /** Ends the job `timed_out`: returns the failure to throw. */
  timedOut(error: JobError, memo: MemoFields, details: unknown): ApplicationFailure {
    this.setStatus('timed_out', { lastError: error });
    upsertMemo({ lastError: error, finishedAt: nowIso(), ...memo });
    return ApplicationFailure.nonRetryable(error.message, FailureType.JobTimedOut, details);
  }

  /** Ends the job `failed` (a pipeline whose nodes failed): returns the failure to throw. */
  failed(error: JobError, details: unknown): ApplicationFailure {
    this.setStatus('failed', { lastError: error });
    upsertMemo({ lastError: error, finishedAt: nowIso() });
    return ApplicationFailure.nonRetryable(error.message, error.type, details);
  }

  cancelled(memo: MemoFields = {}): void {
    this.setStatus('cancelled');
    upsertMemo({ finishedAt: nowIso(), ...memo });
  }
}

/** The webhook event a status change is, if any: `active` is `running` after a wait and `retried` after the dead letters. */
function eventOf(previous: CoarseJobStatus, next: CoarseJobStatus): NotifyEvent | undefined {
  if (next === 'active') {
    if (previous === 'dead_lettered') return 'retried';
    return previous === 'waiting' || previous === 'scheduled' ? 'running' : undefined;
  }
  return next === 'scheduled' ? undefined : next;
}

export function nowIso(): string {
  return new Date().toISOString();
}
