import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { z } from 'zod';
import type { ArtifactStore } from '../artifacts';
import { DEFAULT_TENANT, type Principal } from '../auth/principal';
import { readFailureRecord } from '../batch/failure-records';
import { retryFailedCarry } from '../batch/rounds';
import type { BatchResult, FailedChunk } from '../batch/types';
import { findJobType } from '../jobs';
import { BATCH_WORKFLOW } from '../jobs/batch';
import { batchProgressView } from '../jobs/batch-view';
import { withinDeadline } from '../jobs/kind-view';
import { scrubSecrets, secretValues } from '../jobs/redact';
import type { JobSpec } from '../jobs/spec';
import { initialSearchAttributes } from '../jobs/start-attributes';
import { JobStatusKey } from '../jobs/search-attributes';
import { fairPriority } from '../tenancy/fair-priority';
import type { JobMemo } from '../workflows/job-state';
import { getFailedChunksQuery, retrySignal } from '../workflows/messages';
import type { JobReader } from './job-reader';
import type { JobView } from './job-view';
import { HttpProblem, validationProblem } from './problem';

const QUERY_DEADLINE_MS = 3_000;

export const FailedItemsQuery = z
  .object({
    /** Items per page, at least (a page ends with a whole chunk). */
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
    cursor: z
      .string()
      .regex(/^\d{1,9}$/, 'a cursor from a previous page')
      .optional(),
  })
  .strict();

export interface FailedItemsPage {
  jobId: string;
  failed: number;
  items: Array<{ chunk: number; round: number; position: number; key: string; error: string }>;
  nextCursor?: string;
}

/** What only batches have: live progress, their failed items, and re-running those. */
export class BatchService {
  constructor(
    private readonly reader: JobReader,
    private readonly artifacts: ArtifactStore,
    private readonly taskQueue: string,
  ) {}

  /**
   * Re-runs only the failed items. A dead-lettered batch gets the retry signal (it resumes, failed items
   * first); a completed one starts a new run of the same job id from its result, a round further on.
   */
  async retryFailed(id: string, principal: Principal): Promise<JobView> {
    const description = await this.requireBatch(id, principal);
    const view = await this.reader.viewOf(description);
    const handle = this.reader.client.workflow.getHandle(id);
    if (view.status === 'dead_lettered') {
      await handle.signal(retrySignal, { reason: 'retry-failed' });
      return view;
    }
    if (view.status !== 'completed') {
      throw new HttpProblem(
        409,
        'invalid-state',
        `job ${id} is ${view.status}: retry-failed needs a completed batch with failed items, or a dead-lettered one`,
        {
          jobStatus: view.status,
        },
      );
    }
    const result = (await handle.result()) as BatchResult;
    if (result.failed === 0) throw new HttpProblem(409, 'invalid-state', `batch ${id} has no failed items`, { jobStatus: view.status });
    const spec = await this.specOf(description);
    const carry = retryFailedCarry(result, spec);
    const memo = description.memo as Partial<JobMemo> | undefined;
    try {
      await this.reader.client.workflow.start(BATCH_WORKFLOW, {
        workflowId: id,
        taskQueue: this.taskQueue,
        args: [spec, carry],
        memo: { ...pickInitialMemo(memo), round: carry.round },
        typedSearchAttributes: initialSearchAttributes(spec).map((pair) =>
          pair.key.name === JobStatusKey.name ? { key: JobStatusKey, value: 'active' } : pair,
        ),
        // The batch's own tenant (an admin may retry another's), at the weight of the key when it is the tenant's.
        priority: fairPriority(spec.priority, {
          tenant: spec.tenant ?? DEFAULT_TENANT,
          weight: principal.tenant === (spec.tenant ?? DEFAULT_TENANT) ? principal.weight : 1,
        }),
        // A closed run may be followed by a new one; a running one (a concurrent retry) may not.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw new HttpProblem(409, 'invalid-state', `batch ${id} is already running again`);
      throw err;
    }
    return {
      ...view,
      status: 'queued',
      progress: batchProgressView({ ...carry.counters, round: carry.round }),
      batch: { round: carry.round, runs: carry.runs },
    };
  }

  /** The failed items of the batch's latest run of each chunk, with their errors, a page of chunks at a time. */
  async failedItems(id: string, rawQuery: unknown, principal: Principal): Promise<FailedItemsPage> {
    const parsed = FailedItemsQuery.safeParse(rawQuery);
    if (!parsed.success) throw validationProblem(parsed.error);
    const { limit, cursor } = parsed.data;
    const description = await this.requireBatch(id, principal);
    const chunks = await this.failedChunksOf(description);
    const from = cursor ? Number(cursor) : 0;
    const pending = chunks.filter((chunk) => chunk.index >= from).sort((a, b) => a.index - b.index);
    const page: FailedItemsPage = { jobId: id, failed: chunks.reduce((sum, chunk) => sum + chunk.failed, 0), items: [] };
    for (const chunk of pending) {
      if (page.items.length >= limit) {
        page.nextCursor = String(chunk.index);
        break;
      }
      const record = await readFailureRecord(this.artifacts, id, chunk.round, chunk.index);
      for (const failure of record?.failures ?? []) page.items.push({ chunk: chunk.index, round: chunk.round, ...failure });
    }
    if (page.items.length > 0) {
      // An item's error may quote the target's answer, and a target may echo a credential header back.
      const spec = await this.specOf(description);
      const secrets = secretValues(findJobType(spec.type), spec.input);
      for (const item of page.items) item.error = scrubSecrets(item.error, secrets);
    }
    return page;
  }

  private async failedChunksOf(description: WorkflowExecutionDescription): Promise<FailedChunk[]> {
    if (description.status.name === 'COMPLETED') {
      return ((await this.reader.client.workflow.getHandle(description.workflowId).result()) as BatchResult).failedChunks;
    }
    // Open (and failed, cancelled) runs answer the query; a closed one is replayed by a worker to answer it.
    const { client } = this.reader;
    const chunks = await withinDeadline(client, QUERY_DEADLINE_MS, () =>
      client.workflow.getHandle(description.workflowId).query(getFailedChunksQuery),
    );
    if (!chunks)
      throw new HttpProblem(
        503,
        'temporal-unavailable',
        'no worker answered for the batch: its failed items are listed once a worker runs',
      );
    return chunks;
  }

  private async requireBatch(id: string, principal: Principal): Promise<WorkflowExecutionDescription> {
    const description = await this.reader.describe(id, principal);
    if (description.type !== BATCH_WORKFLOW) throw new HttpProblem(409, 'invalid-state', `job ${id} is not a batch job`);
    return description;
  }

  /** The spec the batch runs with: the first argument of its latest run. */
  private async specOf(description: WorkflowExecutionDescription): Promise<JobSpec> {
    const { client } = this.reader;
    const history = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId: description.workflowId, runId: description.runId },
      maximumPageSize: 1,
    });
    const payloads = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    return decodeFromPayloadsAtIndex<JobSpec>(client.options.loadedDataConverter, 0, payloads);
  }
}

/** The memo fields a job starts with (not its outcome): a new run of the job id starts from them. */
function pickInitialMemo(memo: Partial<JobMemo> | undefined): Record<string, unknown> {
  if (!memo) return {};
  const { requestHash, createdAt, runAt, correlationId, metadata, maxAttempts, tenant } = memo;
  return Object.fromEntries(
    Object.entries({ requestHash, createdAt, runAt, correlationId, metadata, maxAttempts, tenant }).filter(([, v]) => v !== undefined),
  );
}
