import { z } from 'zod';
import { defineJobType, type JobTypeDefinition, type NestedSecrets } from './define';
import { findCycle } from './pipeline-graph';
import { pipelineView } from './pipeline-view';
import { resolveJobSpec } from './resolve-spec';
import type { JobSpec } from './spec';
import { JobOverrides } from './submission';
import type { JobWorkflowName } from './workflow-names';

/** The workflow that runs pipelines (a DAG of child jobs). */
export const PIPELINE_WORKFLOW = 'runPipeline' satisfies JobWorkflowName;

/** Temporal allows 2,000 pending children per workflow; a pipeline stays well inside that and its history limits. */
export const PIPELINE_MAX_NODES = 1_000;

export const FAILURE_POLICIES = ['fail-fast', 'continue'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

const NodeId = z.string().regex(/^[A-Za-z0-9._~-]{1,100}$/, 'use 1-100 of A-Z a-z 0-9 . _ ~ -');

/** A node as the workflow runs it: the job spec is resolved at the edge (the workflow sets its id and times). */
export interface NodePlan {
  id: string;
  dependsOn: string[];
  spec: JobSpec;
  /** The composite workflow a node's job type names (`runBatch`); absent for the generic `runJob`. */
  workflow?: string;
}

export interface PipelinePlan {
  nodes: NodePlan[];
  failurePolicy: FailurePolicy;
}

/**
 * The `pipeline` job type: a DAG of jobs of the other types, each node run as an ordinary job in a child
 * workflow. `lookup` finds the node types (a pipeline cannot contain a pipeline).
 */
export function createPipelineJob(lookup: (type: string) => JobTypeDefinition | undefined) {
  const Node = JobOverrides.extend({
    id: NodeId,
    dependsOn: z.array(NodeId).max(PIPELINE_MAX_NODES).default([]),
  }).strict();

  const Input = z
    .object({
      nodes: z.array(Node).min(1).max(PIPELINE_MAX_NODES, `at most ${PIPELINE_MAX_NODES} nodes`),
      failurePolicy: z.enum(FAILURE_POLICIES).default('fail-fast'),
    })
    .strict()
    .superRefine((pipeline, ctx) => {
      const ids = new Set<string>();
      pipeline.nodes.forEach((node, index) => {
        if (ids.has(node.id)) ctx.addIssue({ code: 'custom', path: ['nodes', index, 'id'], message: `duplicate node id "${node.id}"` });
        ids.add(node.id);
      });
      pipeline.nodes.forEach((node, index) => {
        node.dependsOn.forEach((dep, d) => {
          if (!ids.has(dep)) ctx.addIssue({ code: 'custom', path: ['nodes', index, 'dependsOn', d], message: `unknown node "${dep}"` });
        });
        const jobType = lookup(node.type);
        if (!jobType) {
          ctx.addIssue({
            code: 'custom',
            path: ['nodes', index, 'type'],
            message: `unknown job type "${node.type}" (or not allowed in a pipeline)`,
          });
          return;
        }
        const input = jobType.input.safeParse(node.input);
        if (!input.success) {
          for (const issue of input.error.issues) {
            ctx.addIssue({ code: 'custom', path: ['nodes', index, 'input', ...issue.path], message: issue.message });
          }
        }
      });
      const cycle = findCycle(pipeline.nodes);
      if (cycle) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes'],
          message: `dependency cycle: ${cycle.join(' → ')} (each depends on the next)`,
          params: { cycle },
        });
      }
    })
    .transform((pipeline): PipelinePlan => ({
      failurePolicy: pipeline.failurePolicy,
      nodes: pipeline.nodes.map((node) => {
        const jobType = lookup(node.type)!;
        return {
          id: node.id,
          dependsOn: node.dependsOn,
          spec: resolveJobSpec({ request: node, jobType, input: jobType.input.parse(node.input) }),
          ...(jobType.workflow ? { workflow: jobType.workflow } : {}),
        };
      }),
    }));

  return defineJobType({
    type: 'pipeline',
    description:
      'A DAG of jobs: each node is an ordinary job (own retries and dead letters) run as a child workflow once its dependencies completed.',
    input: Input,
    workflow: PIPELINE_WORKFLOW,
    view: pipelineView,
    secrets: { nested: (plan) => nodeSecrets(plan, lookup) },
    defaults: { maxAttempts: 1, timeoutMs: 7 * 24 * 60 * 60_000 },
  });
}

/**
 * Each node's input is redacted by its own job type's declaration: in a plan at `nodes.<i>.spec.input`, in a
 * request as written at `nodes.<i>.input`.
 */
function nodeSecrets(plan: unknown, lookup: (type: string) => JobTypeDefinition | undefined): NestedSecrets[] {
  const nodes = (plan as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(nodes)) return [];
  return nodes.flatMap((node: { type?: unknown; input?: unknown; spec?: { type?: unknown } } | null, index): NestedSecrets[] => {
    if (node?.spec) return [{ path: ['nodes', index, 'spec', 'input'], declaration: lookup(String(node.spec.type)) }];
    return [{ path: ['nodes', index, 'input'], declaration: lookup(String(node?.type)) }];
  });
}
