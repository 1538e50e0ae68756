import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { BATCH_WORKFLOW } from '../../jobs/batch';
import { batchView } from '../../jobs/batch-view';
import type { JobProgress } from '../../jobs/kind-view';
import { JobStatusKey } from '../../jobs/search-attributes';
import type { CoarseJobStatus } from '../../jobs/status';
import { DEFAULT_JOB_WORKFLOW } from '../../jobs/workflow-names';
import type { Logger } from '../../logger';
import type { JobView } from '../job-view';
import { pendingAttemptOf } from '../pending-attempt';
import type { LiveMetrics } from './live-metrics';
import type { Pollable, PollBudget } from './poll-budget';
import { historyNumber, StatusTimeline, type CoarseReader, type LiveEvent } from './status-timeline';

/** Longer than the server holds a history long-poll (20 s by default), so an idle poll ends by the server's answer. */
const LONG_POLL_DEADLINE_MS = 40_000;
/** A failed history read is tried again this often, this many times, before the streams are closed. */
const RETRY_DELAY_MS = 1_000;
const MAX_FAILURES = 5;

export interface WatcherDeps {
  client: Client;
  namespace: string;
  /** The shared budget of reads of attempts in flight (running/retrying, heartbeat progress). */
  polls: PollBudget;
  /** The deadline of a describe or of the final view. */
  callDeadlineMs: number;
  /** The job's view for `end`: what `GET /v1/jobs/{id}` answers. */
  finalView(id: string): Promise<JobView>;
  metrics: LiveMetrics;
  logger: Logger;
}

export interface Listener {
  /** `live`: emitted after the watcher caught up with the history it was started from. */
  event(event: LiveEvent, live: boolean): void;
  /** The watcher caught up with the history of a job still running: what follows is live. */
  ready?(): void;
  /** The watcher stopped: after `end`, or after it could not read the history (the client reconnects). */
  close(): void;
}

const readCoarse: CoarseReader = (fields) =>
  fields ? (decodeTypedSearchAttributes(fields).get(JobStatusKey) as CoarseJobStatus | undefined) : undefined;

/**
 * One job's live status in this API process, shared by every stream and `?wait` on it: one long-poll of the
 * workflow history (`waitNewEvent`), and, only while an attempt is in flight, describes from the process's shared
 * budget (PollBudget) for what the history does not record yet (the attempt running or waiting to retry, its heartbeat progress; for a
 * batch, its progress query). It stops when its last listener leaves or the job ends.
 */
export class JobWatcher implements Pollable {
  readonly timeline: StatusTimeline;
  private readonly listeners = new Set<Listener>();
  private readonly abort = new AbortController();
  private delivered = 0;
  private caughtUp = false;
  private stopped = false;

  constructor(
    readonly id: string,
    private readonly initial: WorkflowExecutionDescription,
    private readonly deps: WatcherDeps,
    private readonly onStop: (watcher: JobWatcher) => void,
  ) {
    this.timeline = new StatusTimeline(initial.type !== DEFAULT_JOB_WORKFLOW, readCoarse);
  }

  get ready(): boolean {
    return this.caughtUp;
  }

  start(): void {
    this.deps.metrics.watchers.inc();
    void this.watchHistory()
      .catch((err: unknown) => this.deps.logger.warn({ err, jobId: this.id }, 'live status: history watch failed'))
      .finally(() => this.stop());
    this.deps.polls.add(this);
  }

  /** Adds a listener and hands it every event so far (not live), then each new one. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    for (const event of this.timeline.events.slice(0, this.delivered)) listener.event(event, false);
    if (this.caughtUp && !this.timeline.closed) listener.ready?.();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.deps.polls.remove(this);
    this.deps.metrics.watchers.dec();
    this.onStop(this);
    for (const listener of [...this.listeners]) listener.close();
    this.listeners.clear();
  }

  /** Hands the events the timeline gained since the last flush to every listener. */
  private flush(): void {
    const fresh = this.timeline.events.slice(this.delivered);
    this.delivered = this.timeline.events.length;
    for (const event of fresh) for (const listener of this.listeners) this.tell(listener, () => listener.event(event, this.caughtUp));
  }

  /** One listener's failure (a response that broke) is its own: the others still hear the event. */
  private tell(listener: Listener, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.deps.logger.warn({ err, jobId: this.id }, 'live status: a listener failed');
      this.listeners.delete(listener);
    }
  }

  private async watchHistory(): Promise<void> {
    const { client, namespace } = this.deps;
    const connection = client.connection;
    const target = this.initial.historyLength;
    let runId: string | undefined = this.initial.runId;
    let fromFirstRun = false;
    let token: Uint8Array | undefined;
    let failures = 0;
    while (!this.stopped) {
      let response: temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
      try {
        this.deps.metrics.historyPolls.inc();
        const execution: temporal.api.common.v1.IWorkflowExecution = { workflowId: this.id, runId };
        response = await this.call(LONG_POLL_DEADLINE_MS, () =>
          connection.workflowService.getWorkflowExecutionHistory({ namespace, execution, nextPageToken: token, waitNewEvent: true }),
        );
        failures = 0;
      } catch (err) {
        if (this.stopped) return;
        failures += 1;
        if (failures >= MAX_FAILURES) throw err;
        await delay(RETRY_DELAY_MS, this.abort.signal);
        continue;
      }
      const events = response.history?.events ?? [];
      const started = events[0]?.workflowExecutionStartedEventAttributes;
      // A batch continues as new: positions are counted from its first run, whichever run is current.
      if (!token && !fromFirstRun && started?.continuedExecutionRunId && started.firstExecutionRunId) {
        fromFirstRun = true;
        runId = started.firstExecutionRunId;
        continue;
      }
      fromFirstRun = true;
      for (const event of events) {
        const next = this.timeline.apply(event);
        if (next) {
          runId = next;
          token = undefined;
        }
        this.flush();
        if (!this.caughtUp && runId === this.initial.runId && historyNumber(event.eventId) >= target) this.catchUp();
      }
      if (this.timeline.closed) {
        this.catchUp();
        await this.finish();
        return;
      }
      if (events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes) continue;
      token = response.nextPageToken?.length ? response.nextPageToken : undefined;
      // A running workflow always has a next page to wait for: without one, the streams close and clients resume.
      if (!token) return;
    }
  }

  /** The history is read as far as the describe the watcher started from: its pending attempt is current now. */
  private catchUp(): void {
    if (this.caughtUp) return;
    void pendingAttemptOf(this.initial, this.deps.client.options.loadedDataConverter).then((pending) => {
      this.timeline.observePending(pending, new Date());
      this.timeline.observeProgress(pending?.progress, new Date());
      this.caughtUp = true;
      this.flush();
    });
    // Ready at once for the history; the pending attempt above is only a decode away.
    this.caughtUp = true;
    if (!this.timeline.closed) for (const listener of this.listeners) listener.ready?.();
  }

  private async finish(): Promise<void> {
    const connection = this.deps.client.connection;
    const view = await connection.withDeadline(Date.now() + this.deps.callDeadlineMs, () => this.deps.finalView(this.id));
    this.timeline.end(view);
    this.flush();
  }

  wantsPoll(): boolean {
    if (this.stopped || !this.caughtUp || this.timeline.closed) return false;
    return this.initial.type === BATCH_WORKFLOW ? this.timeline.running : this.timeline.attemptInFlight;
  }

  /** One read of the attempt in flight (or of a batch's progress), when the shared budget allows it. */
  async poll(): Promise<void> {
    this.deps.metrics.describes.inc();
    try {
      const now = new Date();
      if (this.initial.type === BATCH_WORKFLOW) this.timeline.observeProgress(await this.batchProgress(), now);
      else {
        const description = await this.describe();
        const pending = await pendingAttemptOf(description, this.deps.client.options.loadedDataConverter);
        this.timeline.observePending(pending, now);
        this.timeline.observeProgress(pending?.progress, now);
      }
      this.flush();
    } catch (err) {
      if (!this.stopped) this.deps.logger.debug({ err, jobId: this.id }, 'live status: could not read the attempt in flight');
    }
  }

  private describe(): Promise<WorkflowExecutionDescription> {
    return this.call(this.deps.callDeadlineMs, () => this.deps.client.workflow.getHandle(this.id).describe());
  }

  /**
   * A Temporal call under its own deadline (not the request's that started the watcher), cancelled when the
   * watcher stops. A signal per call: the SDK adds a listener to the signal it is given and never removes it.
   */
  private async call<T>(deadlineMs: number, fn: () => Promise<T>): Promise<T> {
    const { connection } = this.deps.client;
    const controller = new AbortController();
    const cancel = () => controller.abort();
    this.abort.signal.addEventListener('abort', cancel, { once: true });
    try {
      return await connection.withAbortSignal(controller.signal, () => connection.withDeadline(Date.now() + deadlineMs, fn));
    } finally {
      this.abort.signal.removeEventListener('abort', cancel);
    }
  }

  private async batchProgress(): Promise<JobProgress | undefined> {
    const description = await this.describe();
    const fields = await batchView({ client: this.deps.client, description, view: { id: this.id, status: 'running' } });
    return fields.progress;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
