/**
 * The `id` of a live-status event: its place in the job's history, so that any API process derives the same
 * id for the same event and a reconnecting client (`Last-Event-ID`) resumes exactly after it.
 *
 * An id is up to four numbers joined by dots, compared left to right (missing parts are 0):
 * - the history event that caused it (summed over earlier runs when the workflow continued as new);
 * - the attempt, for what only the pending activity shows (an attempt running, or waiting to retry);
 * - the phase within that attempt: 0 waiting to retry, 1 running, 2 progress, 3 the final `end`;
 * - for progress: the units done.
 */
export type EventKey = readonly [event: number, attempt: number, phase: number, done: number];

export const Phase = { retrying: 0, running: 1, progress: 2, end: 3 } as const;

export const START_KEY: EventKey = [0, 0, 0, 0];

export function formatEventId(key: EventKey): string {
  const parts = [...key];
  while (parts.length > 1 && parts.at(-1) === 0) parts.pop();
  return parts.join('.');
}

const ID_PATTERN = /^\d{1,15}(\.\d{1,15}){0,3}$/;

/** The key of a `Last-Event-ID`; undefined when it is not one of ours. */
export function parseEventId(id: string): EventKey | undefined {
  if (!ID_PATTERN.test(id)) return undefined;
  const parts = id.split('.').map(Number);
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 0];
}

export function compareKeys(a: EventKey, b: EventKey): number {
  for (let i = 0; i < 4; i += 1) {
    const diff = a[i]! - b[i]!;
    if (diff !== 0) return diff;
  }
  return 0;
}
