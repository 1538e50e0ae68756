import { getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import { nodeStatusSignal, type NodeStatusUpdate } from './messages';

/**
 * A pipeline must hold a dead-lettered node's dependents, and it cannot see a child's state otherwise.
 * A job without a parent sends nothing, so its history (and replay) is as before.
 */
export async function tellParent(jobId: string, status: NodeStatusUpdate['status']): Promise<void> {
  const parent = workflowInfo().parent;
  if (!parent) return;
  try {
    await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(nodeStatusSignal, { jobId, status });
  } catch (err) {
    log.warn('could not tell the parent pipeline', { jobId, status, error: String(err) });
  }
}
