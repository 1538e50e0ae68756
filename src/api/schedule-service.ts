import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { readScheduleMemo } from '../schedules/schedule-memo';
import { ScheduleId } from '../schedules/schedule-request';
import { JOB_WORKFLOWS } from './job-reader';
import type { ViewLinks } from './job-view';
import { prepareSchedule, specProblem, type ScheduleLimits } from './prepare-schedule';
import { HttpProblem } from './problem';
import { toScheduleView, type ScheduleView } from './schedule-view';

export interface ScheduleServiceOptions extends ViewLinks, ScheduleLimits {
  taskQueue: string;
  /** Literal private targets in a schedule's job are refused unless this is true. */
  allowPrivateTargets?: boolean;
  /** Whether a schedule's job may carry `notify` (JOBLINE_WEBHOOK_SECRETS is set). */
  webhooks?: boolean;
  /** At most this many schedules on our task queue (JOBLINE_MAX_SCHEDULES). */
  maxSchedules: number;
}

/** How long this process remembers its own creations and deletions, which the listing may not show yet. */
const RECENT_MS = 5 * 60_000;

/**
 * Recurring jobs as Temporal Schedules whose action starts `runJob` on our task queue. Each run is an
 * ordinary job; this class only manages the schedules, and treats any other schedule as not there.
 */
export class ScheduleService {
  constructor(
    private readonly client: Client,
    private readonly options: ScheduleServiceOptions,
  ) {}

  /** Creations one after another, so that two racing requests cannot both take the last place under the cap. */
  private creating: Promise<unknown> = Promise.resolve();
  private readonly recentlyCreated = new Map<string, number>();
  private readonly recentlyDeleted = new Map<string, number>();

  async create(body: unknown, headers: { correlationId?: string }): Promise<ScheduleView> {
    const prepared = prepareSchedule(body, headers, this.options.taskQueue, this.options, {
      allowPrivateTargets: this.options.allowPrivateTargets ?? false,
      webhooks: this.options.webhooks ?? false,
    });
    const created = this.creating.then(() => this.createUnderCap(prepared));
    this.creating = created.catch(() => undefined);
    await created;
    return this.get(prepared.request.id);
  }

  private async createUnderCap({ request, options }: ReturnType<typeof prepareSchedule>): Promise<void> {
    const existing = await this.ourScheduleIds();
    if (!existing.has(request.id) && existing.size >= this.options.maxSchedules) {
      throw new HttpProblem(
        409,
        'schedule-limit',
        `there are already ${existing.size} schedules, the most allowed (JOBLINE_MAX_SCHEDULES=${this.options.maxSchedules}): delete one first`,
        { limit: this.options.maxSchedules },
      );
    }
    try {
      await this.client.schedule.create(options);
      this.recentlyCreated.set(request.id, Date.now());
      this.recentlyDeleted.delete(request.id);
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning) {
        throw new HttpProblem(409, 'schedule-exists', `a schedule with id ${request.id} already exists`, { scheduleId: request.id });
      }
      if (err instanceof TypeError) throw specProblem(err, request);
      throw err;
    }
  }

  /**
   * The ids of our schedules, for the cap: the listing (eventually consistent) corrected by what this
   * process created or deleted lately. A schedule without our memo counts, to err on the side of the cap.
   */
  private async ourScheduleIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    for await (const summary of this.client.schedule.list()) {
      if (!JOB_WORKFLOWS.has(summary.action?.workflowType ?? '')) continue;
      const memo = readScheduleMemo(summary.memo);
      if (memo && memo.taskQueue !== this.options.taskQueue) continue;
      ids.add(summary.scheduleId);
    }
    const now = Date.now();
    for (const [recent, add] of [
      [this.recentlyCreated, true],
      [this.recentlyDeleted, false],
    ] as const) {
      for (const [id, at] of recent) {
        if (now - at > RECENT_MS) recent.delete(id);
        else if (add) ids.add(id);
        else ids.delete(id);
      }
    }
    return ids;
  }

  /** Schedule listing is eventually consistent: a schedule created a moment ago may be missing. */
  async list(): Promise<ScheduleView[]> {
    const candidates: string[] = [];
    for await (const summary of this.client.schedule.list()) {
      if (!JOB_WORKFLOWS.has(summary.action?.workflowType ?? '')) continue;
      // The memo rules out other deployments cheaply; describe() below confirms the rest.
      const memo = readScheduleMemo(summary.memo);
      if (memo && memo.taskQueue !== this.options.taskQueue) continue;
      candidates.push(summary.scheduleId);
    }
    const found = await Promise.all(candidates.map((id) => this.describeIfOurs(id)));
    return found
      .filter((description): description is ScheduleDescription => description !== undefined)
      .map((description) => toScheduleView(description, this.options))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async get(id: string): Promise<ScheduleView> {
    return toScheduleView(await this.describe(id), this.options);
  }

  async delete(id: string): Promise<void> {
    await this.describe(id);
    // Runs already started are ordinary jobs and carry on.
    await this.notFoundAs404(id, () => this.handle(id).delete());
    this.recentlyDeleted.set(id, Date.now());
    this.recentlyCreated.delete(id);
  }

  /** Without a note the schedule keeps its own, so pausing does not erase what the note says. */
  async pause(id: string, note?: string): Promise<ScheduleView> {
    const current = await this.describe(id);
    const newNote = note ?? (current.state.note || 'paused via the Jobline API');
    await this.notFoundAs404(id, () => this.handle(id).pause(newNote));
    return this.get(id);
  }

  async resume(id: string, note?: string): Promise<ScheduleView> {
    const current = await this.describe(id);
    const newNote = note ?? (current.state.note || 'resumed via the Jobline API');
    await this.notFoundAs404(id, () => this.handle(id).unpause(newNote));
    return this.get(id);
  }

  /** Starts a run now. The SDK would default to allow_all; the schedule's own overlap policy applies instead. */
  async trigger(id: string): Promise<ScheduleView> {
    const current = await this.describe(id);
    await this.notFoundAs404(id, () => this.handle(id).trigger(current.policies.overlap));
    return toScheduleView(current, this.options);
  }

  private handle(id: string) {
    return this.client.schedule.getHandle(id);
  }

  private async describe(id: string): Promise<ScheduleDescription> {
    const description = await this.describeIfOurs(id);
    if (!description) throw notFound(id);
    return description;
  }

  private async describeIfOurs(id: string): Promise<ScheduleDescription | undefined> {
    if (!ScheduleId.safeParse(id).success) return undefined;
    try {
      const description = await this.handle(id).describe();
      const { action } = description;
      return JOB_WORKFLOWS.has(action.workflowType) && action.taskQueue === this.options.taskQueue ? description : undefined;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    }
  }

  /** The schedule can vanish between our describe and the next call. */
  private async notFoundAs404<T>(id: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw notFound(id);
      throw err;
    }
  }
}

function notFound(id: string): HttpProblem {
  return new HttpProblem(404, 'schedule-not-found', `no schedule with id ${id}`);
}
