import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { summarize, type Summary } from '../stats';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Where a batch's time went, from its workflow histories (every run of the job id). */
export interface BatchTimeline {
  runs: number;
  historyEvents: number;
  /** First event of the first run to the last event of the last run. */
  workflowMs: number;
  /** Epoch ms of those two events. */
  firstEventAt: number;
  lastEventAt: number;
  chunks: number;
  /** Chunk activity: scheduled → started (waiting in the task queue, matching, the worker's poll). */
  chunkQueueMs?: Summary;
  /** Chunk activity: started → completed (read the chunk's lines, run the handler, report the result). */
  chunkRunMs?: Summary;
  /** A chunk's completion → the next chunk scheduled (one workflow task round trip): the slot stands idle. */
  refillGapMs?: Summary;
  /** Sum of (completed − scheduled) of the chunks / (concurrency × workflowMs): how full the chunk slots were. */
  slotBusyPct: number;
  plans: number;
  /** Sum of the planning activities' scheduled → completed. */
  planMs: number;
  /** From the workflow's first event to its first chunk scheduled. */
  firstChunkAfterMs: number;
  workflowTasks: number;
  /** Workflow task scheduled → completed. */
  workflowTaskMs?: Summary;
  /** Last event of one run → first event of the next (continue-as-new). */
  continueAsNewGapMs: number[];
  /** When each run after the first began, ms after the first run's first event. */
  runStartsAfterMs: number[];
}

/** Reads every run of `workflowId` and summarises its chunk and workflow-task timings. */
export async function batchTimeline(client: Client, workflowId: string, concurrency: number): Promise<BatchTimeline> {
  const runIds: Array<{ runId: string; start: number }> = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    runIds.push({ runId: execution.runId, start: execution.startTime.getTime() });
  }
  runIds.sort((a, b) => a.start - b.start);
  const runs: HistoryEvent[][] = [];
  for (const { runId } of runIds) runs.push((await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? []);
  return summariseRuns(runs, concurrency);
}

export function summariseRuns(runs: HistoryEvent[][], concurrency: number): BatchTimeline {
  const at = (e: HistoryEvent) => tsToMs(e.eventTime);
  const queue: number[] = [];
  const run: number[] = [];
  const gaps: number[] = [];
  const wft: number[] = [];
  const continueGaps: number[] = [];
  const runStarts: number[] = [];
  let chunkBusy = 0;
  let plans = 0;
  let planMs = 0;
  let firstChunk: number | undefined;
  let events = 0;
  let previousEnd: number | undefined;
  for (const history of runs) {
    events += history.length;
    const first = history[0];
    const last = history[history.length - 1];
    if (!first || !last) continue;
    if (previousEnd !== undefined) {
      continueGaps.push(at(first) - previousEnd);
      runStarts.push(at(first) - at(runs[0]![0]!));
    }
    previousEnd = at(last);
    const byId = new Map<string, HistoryEvent>(history.map((e) => [String(e.eventId), e]));
    const chunkScheduledTimes: number[] = [];
    const chunkCompletedTimes: number[] = [];
    for (const event of history) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'runBatchChunk') {
        chunkScheduledTimes.push(at(event));
        firstChunk ??= at(event) - at(runs[0]![0]!);
      }
      const completed = event.activityTaskCompletedEventAttributes;
      if (completed) {
        const scheduledEvent = byId.get(String(completed.scheduledEventId));
        const startedEvent = byId.get(String(completed.startedEventId));
        if (!scheduledEvent || !startedEvent) continue;
        const name = scheduledEvent.activityTaskScheduledEventAttributes?.activityType?.name;
        if (name === 'runBatchChunk') {
          queue.push(at(startedEvent) - at(scheduledEvent));
          run.push(at(event) - at(startedEvent));
          chunkBusy += at(event) - at(scheduledEvent);
          chunkCompletedTimes.push(at(event));
        } else if (name === 'planBatchChunks') {
          plans += 1;
          planMs += at(event) - at(scheduledEvent);
        }
      }
      const wftDone = event.workflowTaskCompletedEventAttributes;
      if (wftDone) {
        const scheduledEvent = byId.get(String(wftDone.scheduledEventId));
        if (scheduledEvent) wft.push(at(event) - at(scheduledEvent));
      }
    }
    // Each completion frees a slot; the next chunk scheduled after it fills one again.
    let next = 0;
    for (const done of chunkCompletedTimes.sort((a, b) => a - b)) {
      while (next < chunkScheduledTimes.length && chunkScheduledTimes[next]! < done) next += 1;
      if (next >= chunkScheduledTimes.length) break;
      gaps.push(chunkScheduledTimes[next]! - done);
      next += 1;
    }
  }
  const start = runs[0]?.[0];
  const endEvents = runs[runs.length - 1];
  const end = endEvents?.[endEvents.length - 1];
  const workflowMs = start && end ? at(end) - at(start) : Number.NaN;
  return {
    runs: runs.length,
    historyEvents: events,
    workflowMs,
    firstEventAt: start ? at(start) : Number.NaN,
    lastEventAt: end ? at(end) : Number.NaN,
    chunks: run.length,
    chunkQueueMs: summarize(queue),
    chunkRunMs: summarize(run),
    refillGapMs: summarize(gaps),
    slotBusyPct: (100 * chunkBusy) / (concurrency * workflowMs),
    plans,
    planMs,
    firstChunkAfterMs: firstChunk ?? Number.NaN,
    workflowTasks: wft.length,
    workflowTaskMs: summarize(wft),
    continueAsNewGapMs: continueGaps,
    runStartsAfterMs: runStarts,
  };
}
