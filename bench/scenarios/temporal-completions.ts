import type { Client } from '@temporalio/client';
import { sleep } from '../load';
import type { Completions } from '../phase';

/**
 * When each workflow closed, read from the server's visibility store: `closeTime` is the time of the
 * workflow's close event, so the visibility store's own lag does not count.
 *
 * The dev server runs every query through its single SQLite connection, so the wait asks the worker
 * (over IPC) until every activity has begun, and only then polls a visibility count for the short tail.
 */
export async function temporalCompletions(
  client: Client,
  taskQueue: string,
  ids: readonly string[],
  since: number,
  timeoutMs: number,
  countStarts: () => Promise<number>,
): Promise<Completions> {
  const scope = `TaskQueue = "${taskQueue}" AND StartTime >= "${new Date(since).toISOString()}"`;
  const deadline = Date.now() + timeoutMs;
  while ((await countStarts()) < ids.length && Date.now() < deadline) await sleep(100);
  for (;;) {
    const { count } = await client.workflow.count(`${scope} AND ExecutionStatus != "Running"`);
    if (count >= ids.length || Date.now() > deadline) break;
    await sleep(250);
  }
  const wanted = new Set(ids);
  const closed = new Map<string, number>();
  const historyLengths: number[] = [];
  const historySizes: number[] = [];
  for await (const info of client.workflow.list({ query: `${scope} AND ExecutionStatus = "Completed"`, pageSize: 1000 })) {
    if (!wanted.has(info.workflowId)) continue;
    historyLengths.push(info.historyLength);
    if (info.historySize !== undefined) historySizes.push(info.historySize);
    const closeTime = info.raw.closeTime;
    if (closeTime?.seconds != null) closed.set(info.workflowId, Number(closeTime.seconds) * 1000 + (closeTime.nanos ?? 0) / 1e6);
    else if (info.closeTime) closed.set(info.workflowId, info.closeTime.getTime());
  }
  return { finishedAt: closed, historyLengths, historySizes };
}
