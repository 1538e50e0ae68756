import { getPipelineStateQuery, type PipelineNodeState } from '../workflows/messages';
import type { PipelineResult } from '../workflows/run-pipeline';
import { withinDeadline, type KindView } from './kind-view';

const NODE_QUERY_DEADLINE_MS = 3_000;

/**
 * A pipeline's `nodes`: a completed pipeline's from its result (a 500-node DAG's query replay can outlast any
 * deadline under load), a running one's from the workflow, which needs a live worker.
 */
export const pipelineView: KindView = async ({ client, view }) => {
  if (view.status === 'completed') return { nodes: nodesOf(view.result as PipelineResult) };
  const state = await withinDeadline(client, NODE_QUERY_DEADLINE_MS, () => client.workflow.getHandle(view.id).query(getPipelineStateQuery));
  return state ? { nodes: state.nodes } : {};
};

function nodesOf(result: PipelineResult): PipelineNodeState[] {
  return Object.entries(result.nodes).map(([id, node]) => ({
    id,
    jobId: node.jobId,
    status: node.status,
    dependsOn: node.dependsOn ?? [],
  }));
}
