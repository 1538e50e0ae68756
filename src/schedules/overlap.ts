import type { ScheduleOverlapPolicy } from '@temporalio/client';
import type { OverlapPolicy } from './schedule-request';

const TO_TEMPORAL: Record<OverlapPolicy, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  buffer_one: 'BUFFER_ONE',
  buffer_all: 'BUFFER_ALL',
  cancel_other: 'CANCEL_OTHER',
  terminate_other: 'TERMINATE_OTHER',
  allow_all: 'ALLOW_ALL',
};

export function toTemporalOverlap(policy: OverlapPolicy): ScheduleOverlapPolicy {
  return TO_TEMPORAL[policy];
}

/** The server reports an unset policy as undefined; it means skip. */
export function fromTemporalOverlap(policy: ScheduleOverlapPolicy): OverlapPolicy {
  const found = (Object.keys(TO_TEMPORAL) as OverlapPolicy[]).find((name) => TO_TEMPORAL[name] === policy);
  return found ?? 'skip';
}
