import {
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  condition,
  executeChild,
  isCancellation,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { NodePlan, PipelinePlan } from '../jobs/pipeline';
import type { JobSpec } from '../jobs/spec';
import { initialMemo, initialSearchAttributes } from '../jobs/start-attributes';
import { FailureType } from '../jobs/failure-types';
import type { JobError } from './job-state';
import { JobLifecycle } from './lifecycle';
import { getPipelineStateQuery, nodeStatusSignal, type PipelineNodeState, type PipelineNodeStatus } from './messages';
import { runJob } from './run-job';

/**
 * Statuses, job ids and edges only: each node's result stays with its own job, so this stays small for
 * 1,000 nodes. The API shows a finished pipeline's nodes from it, without replaying the workflow.
 */
export interface PipelineResult {
  nodes: Record<string, { status: PipelineNodeStatus; jobId: string; dependsOn?: string[] }>;
}

const FINISHED: ReadonlySet<PipelineNodeStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled']);
const BLOCKING: ReadonlySet<PipelineNodeStatus> = new Set(['failed', 'skipped', 'cancelled']);

/**
 * Runs a DAG of jobs, once the jobs in its own `dependsOn` completed (its root nodes get their results).
 * Every node is an ordinary job (`runJob`, or `runBatch` for a batch) in a child workflow `{pipelineId}/{nodeId}`,
 * started once all its dependencies completed, with their results. A dead-lettered node holds its
 * dependents until it is retried (the pipeline goes on) or discarded (it failed). On a failure,
 * `fail-fast` cancels the running nodes and skips the rest; `continue` skips only the failed node's dependents.
 */
export async function runPipeline(spec: JobSpec): Promise<PipelineResult> {
  const plan = spec.input as PipelinePlan;
  const pipelineId = workflowInfo().workflowId;
  const nodes = new Map<string, PipelineNodeState>(
    plan.nodes.map((node) => [node.id, { id: node.id, jobId: `${pipelineId}/${node.id}`, status: 'waiting', dependsOn: node.dependsOn }]),
  );
  const byJobId = new Map([...nodes.values()].map((node) => [node.jobId, node]));
  const results: Record<string, unknown> = {};
  /** The results of the jobs the pipeline itself depends on (`dependsOn`), for its root nodes. */
  let upstream: Record<string, unknown> | undefined;
  let changes = 0;
  const lifecycle = new JobLifecycle({ jobId: pipelineId, noun: 'pipeline', spec, revision: spec.lifecycleRevision });
  const setNode = (node: PipelineNodeState, status: PipelineNodeStatus, error?: string) => {
    node.status = status;
    if (error) node.error = error;
    changes += 1;
  };

  setHandler(getPipelineStateQuery, () => ({ failurePolicy: plan.failurePolicy, nodes: [...nodes.values()] }));
  setHandler(nodeStatusSignal, ({ jobId, status }) => {
    const node = byJobId.get(jobId);
    if (node && (node.status === 'running' || node.status === 'dead_lettered')) setNode(node, status);
  });

  // Children run in their own scope, so that fail-fast can cancel them without cancelling the pipeline.
  const children = new CancellationScope();
  const running: Array<Promise<void>> = [];
  const start = (plan: NodePlan, node: PipelineNodeState) => {
    setNode(node, 'running');
    const childSpec: JobSpec = {
      ...plan.spec,
      id: node.jobId,
      correlationId: spec.correlationId,
      createdAt: new Date().toISOString(),
      // A node belongs to its pipeline's tenant. Pipelines from before tenants have none, and their nodes
      // start exactly as they did (their replay issues the same commands).
      ...(spec.tenant ? { tenant: spec.tenant } : {}),
      ...(plan.dependsOn.length > 0
        ? { dependencies: Object.fromEntries(plan.dependsOn.map((dep) => [dep, results[dep]])) }
        : upstream
          ? { dependencies: upstream }
          : {}),
    };
    const options = {
      workflowId: node.jobId,
      args: [childSpec] as [JobSpec],
      memo: initialMemo(childSpec) as unknown as Record<string, unknown>,
      typedSearchAttributes: initialSearchAttributes(childSpec),
      // The fairness key and weight are left empty: a child inherits them from the pipeline (its tenant's).
      priority: { priorityKey: childSpec.priority },
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    };
    // A batch node runs its own workflow; every other node is the generic job.
    const child = children.run(() => (plan.workflow ? executeChild(plan.workflow, options) : executeChild(runJob, options)));
    running.push(
      child.then(
        (result) => {
          results[node.id] = result;
          setNode(node, 'completed');
        },
        (err: unknown) => {
          if (isCancellation(err)) setNode(node, 'cancelled');
          else setNode(node, 'failed', describeChildFailure(err));
        },
      ),
    );
  };

  const plans = new Map(plan.nodes.map((node) => [node.id, node]));
  let stopping = false;
  try {
    upstream = await lifecycle.awaitDependencies(spec);
    for (;;) {
      const seen = changes;
      const failed = [...nodes.values()].some((node) => node.status === 'failed');
      if (failed && plan.failurePolicy === 'fail-fast' && !stopping) {
        stopping = true;
        children.cancel();
      }
      for (const node of nodes.values()) {
        if (node.status !== 'waiting') continue;
        const deps = node.dependsOn.map((dep) => nodes.get(dep)!);
        if (stopping || deps.some((dep) => BLOCKING.has(dep.status))) setNode(node, 'skipped');
        else if (deps.every((dep) => dep.status === 'completed')) start(plans.get(node.id)!, node);
      }
      if ([...nodes.values()].every((node) => FINISHED.has(node.status))) break;
      await condition(() => changes !== seen);
    }
  } catch (err) {
    if (isCancellation(err)) {
      // Cancelling the pipeline cancels its nodes; wait until they have stopped before reporting it.
      children.cancel();
      await CancellationScope.nonCancellable(async () => {
        await Promise.allSettled(running);
        lifecycle.cancelled();
      });
    }
    await lifecycle.settled();
    throw err;
  }

  const summary: PipelineResult = {
    nodes: Object.fromEntries(
      [...nodes.values()].map((node) => [node.id, { status: node.status, jobId: node.jobId, dependsOn: node.dependsOn }]),
    ),
  };
  const failedNodes = [...nodes.values()].filter((node) => node.status === 'failed');
  if (failedNodes.length > 0) {
    const lastError: JobError = {
      type: FailureType.PipelineFailed,
      message: `node${failedNodes.length > 1 ? 's' : ''} ${failedNodes.map((n) => `${n.id} (${n.error ?? 'failed'})`).join(', ')} failed`,
    };
    log.warn('pipeline failed', { jobId: pipelineId, failed: failedNodes.map((n) => n.id) });
    const failure = lifecycle.failed(lastError, summary);
    await lifecycle.settled();
    throw failure;
  }
  lifecycle.complete({});
  await lifecycle.settled();
  return summary;
}

function describeChildFailure(err: unknown): string {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
