import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { canSeeTenant, TENANT_PATTERN, type Principal } from '../auth/principal';
import { JobTenantKey } from '../jobs/search-attributes';
import { readScheduleMemo } from '../schedules/schedule-memo';
import { ScheduleId } from '../schedules/schedule-request';
import { tenantClauses } from '../tenancy/tenant-clause';
import { scheduleIdFor, scheduleIdSeenBy, splitScopedId } from '../tenancy/tenant-ids';
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
 * ordinary job; this class only manages the schedules, and treats any other schedule as not there, another
 * tenant's included. Schedule ids are per tenant (tenantScopedId): the id in a URL is the caller's own.
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

  async create(body: unknown, headers: { correlationId?: string }, principal: Principal): Promise<ScheduleView> {
    const prepared = prepareSchedule(
      body,
      headers,
      this.options.taskQueue,
      this.options,
      { allowPrivateTargets: this.options.allowPrivateTargets ?? false, webhooks: this.options.webhooks ?? false },
      principal,
    );
    const created = this.creating.then(() => this.createUnderCap(prepared));
    this.creating = created.catch(() => undefined);
    await created;
    return this.get(prepared.request.id, principal);
  }

  private async createUnderCap({ request, scheduleId, options }: ReturnType<typeof prepareSchedule>): Promise<void> {
    // The cap counts every tenant's schedules: it protects the one server they share.
    const existing = await this.ourScheduleIds();
    if (!existing.has(scheduleId) && existing.size >= this.options.maxSchedules) {
      throw new HttpProblem(
        409,
        'schedule-limit',
        `there are already ${existing.size} schedules, the most allowed (JOBLINE_MAX_SCHEDULES=${this.options.maxSchedules}): delete one first`,
        { limit: this.options.maxSchedules },
      );
    }
    try {
      await this.client.schedule.create(options);
      this.recentlyCreated.set(scheduleId, Date.now());
      this.recentlyDeleted.delete(scheduleId);
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

  /**
   * The schedules the principal may see (its tenant's, or for an admin every tenant's or the `tenant` it
   * filters by): the tenant clause is the listing's visibility query. Schedule listing is eventually
   * consistent: a schedule created a moment ago may be missing.
   */
  async list(principal: Principal, tenant?: string): Promise<ScheduleView[]> {
    const candidates: string[] = [];
    const clauses = tenantClauses(principal, tenant);
    const query = clauses.length > 0 ? clauses.join(' AND ') : undefined;
    for await (const summary of this.client.schedule.list(query ? { query } : {})) {
      if (!JOB_WORKFLOWS.has(summary.action?.workflowType ?? '')) continue;
      // The memo rules out other deployments cheaply; describe() below confirms the rest.
      const memo = readScheduleMemo(summary.memo);
      if (memo && memo.taskQueue !== this.options.taskQueue) continue;
      candidates.push(summary.scheduleId);
    }
    const found = await Promise.all(candidates.map((id) => this.describeIfOurs(id, principal)));
    return found
      .filter((description): description is ScheduleDescription => description !== undefined)
      .map((description) => this.view(description, principal))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async get(id: string, principal: Principal): Promise<ScheduleView> {
    return this.view(await this.describe(id, principal), principal);
  }

  async delete(id: string, principal: Principal): Promise<void> {
    const { scheduleId } = await this.describe(id, principal);
    // Runs already started are ordinary jobs and carry on.
    await this.notFoundAs404(id, () => this.handle(scheduleId).delete());
    this.recentlyDeleted.set(scheduleId, Date.now());
    this.recentlyCreated.delete(scheduleId);
  }

  /** Without a note the schedule keeps its own, so pausing does not erase what the note says. */
  async pause(id: string, principal: Principal, note?: string): Promise<ScheduleView> {
    const current = await this.describe(id, principal);
    const newNote = note ?? (current.state.note || 'paused via the Jobline API');
    await this.notFoundAs404(id, () => this.handle(current.scheduleId).pause(newNote));
    return this.get(id, principal);
  }

  async resume(id: string, principal: Principal, note?: string): Promise<ScheduleView> {
    const current = await this.describe(id, principal);
    const newNote = note ?? (current.state.note || 'resumed via the Jobline API');
    await this.notFoundAs404(id, () => this.handle(current.scheduleId).unpause(newNote));
    return this.get(id, principal);
  }

  /** Starts a run now. The SDK would default to allow_all; the schedule's own overlap policy applies instead. */
  async trigger(id: string, principal: Principal): Promise<ScheduleView> {
    const current = await this.describe(id, principal);
    await this.notFoundAs404(id, () => this.handle(current.scheduleId).trigger(current.policies.overlap));
    return this.view(current, principal);
  }

  private view(description: ScheduleDescription, principal: Principal): ScheduleView {
    return toScheduleView(description, this.options, scheduleIdSeenBy(principal, description.scheduleId));
  }

  private handle(id: string) {
    return this.client.schedule.getHandle(id);
  }

  /** The schedule the caller names by `id` (its own tenant's); 404 for one that is missing or not its to see. */
  private async describe(id: string, principal: Principal): Promise<ScheduleDescription> {
    const description = await this.describeIfOurs(scheduleIdFor(principal, id), principal);
    if (!description) throw notFound(id);
    return description;
  }

  private async describeIfOurs(scheduleId: string, principal: Principal): Promise<ScheduleDescription | undefined> {
    const scoped = splitScopedId(scheduleId);
    if (!ScheduleId.safeParse(scoped.id).success || !TENANT_PATTERN.test(scoped.tenant)) return undefined;
    try {
      const description = await this.handle(scheduleId).describe();
      const { action } = description;
      const ours = JOB_WORKFLOWS.has(action.workflowType) && action.taskQueue === this.options.taskQueue;
      return ours && canSeeTenant(principal, scheduleTenant(description)) ? description : undefined;
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

/** A schedule's tenant: its JobTenant search attribute, else the tenant its id is scoped to. */
function scheduleTenant(description: ScheduleDescription): string {
  const attributes = description.typedSearchAttributes;
  const tenant = attributes instanceof TypedSearchAttributes ? attributes.get(JobTenantKey) : undefined;
  return tenant ?? splitScopedId(description.scheduleId).tenant;
}

function notFound(id: string): HttpProblem {
  return new HttpProblem(404, 'schedule-not-found', `no schedule with id ${id}`);
}
