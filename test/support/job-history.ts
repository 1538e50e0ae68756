import { testEnv } from './temporal-env';

/** One activity attempt of a job, from its workflow history: who ran it, when, and how it ended. */
export interface AttemptRecord {
  identity: string;
  pid: number;
  startedAt: number;
  endedAt?: number;
  outcome: 'completed' | 'failed' | 'timed-out' | 'canceled' | 'open';
}

const millis = (time: { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined): number => {
  if (!time) return 0;
  const seconds = typeof time.seconds === 'number' ? time.seconds : (time.seconds?.toNumber() ?? 0);
  return seconds * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
};

/** The attempts of every activity a job ran, in history order (the SDK's identity is `<pid>@<host>`). */
export async function attemptsOf(jobId: string): Promise<AttemptRecord[]> {
  const history = await testEnv().client.workflow.getHandle(jobId).fetchHistory();
  const started = new Map<string, AttemptRecord>();
  for (const event of history.events ?? []) {
    const id = String(event.eventId);
    if (event.activityTaskStartedEventAttributes) {
      const identity = event.activityTaskStartedEventAttributes.identity ?? '';
      started.set(id, { identity, pid: Number(identity.split('@')[0]), startedAt: millis(event.eventTime), outcome: 'open' });
    }
    const end =
      (event.activityTaskCompletedEventAttributes && (['completed', event.activityTaskCompletedEventAttributes] as const)) ||
      (event.activityTaskFailedEventAttributes && (['failed', event.activityTaskFailedEventAttributes] as const)) ||
      (event.activityTaskTimedOutEventAttributes && (['timed-out', event.activityTaskTimedOutEventAttributes] as const)) ||
      (event.activityTaskCanceledEventAttributes && (['canceled', event.activityTaskCanceledEventAttributes] as const));
    if (end) {
      const attempt = started.get(String(end[1].startedEventId));
      if (attempt) Object.assign(attempt, { outcome: end[0], endedAt: millis(event.eventTime) });
    }
  }
  return [...started.values()];
}
