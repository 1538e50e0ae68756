import type { SearchAttributePair } from '@temporalio/common';
import { JobCorrelationIdKey, JobPriorityKey, JobStatusKey, JobTypeKey } from '../temporal/search-attributes';
import type { CoarseJobStatus, JobMemo } from '../workflows/job-state';
import type { JobSpec } from './spec';

// Imported by workflow code (a pipeline starts its nodes as jobs): no Node APIs here.

/** The memo a job starts with; the workflow keeps the rest of it current. */
export function initialMemo(spec: JobSpec, requestHash?: string): JobMemo {
  return {
    ...(requestHash ? { requestHash } : {}),
    createdAt: spec.createdAt,
    ...(spec.runAt ? { runAt: spec.runAt } : {}),
    ...(spec.dependsOn ? { dependsOn: spec.dependsOn } : {}),
    correlationId: spec.correlationId,
    metadata: spec.metadata,
    maxAttempts: spec.maxAttempts,
  };
}

/** The search attributes a job starts with: what the Web UI and `GET /v1/jobs` filter by. */
export function initialSearchAttributes(spec: JobSpec): SearchAttributePair[] {
  return [
    { key: JobTypeKey, value: spec.type },
    { key: JobStatusKey, value: initialStatus(spec) },
    { key: JobPriorityKey, value: spec.priority },
    { key: JobCorrelationIdKey, value: spec.correlationId },
  ];
}

/** Dependencies come first: the `runAt` delay starts only once they completed. */
function initialStatus(spec: JobSpec): CoarseJobStatus {
  if (spec.dependsOn && spec.dependsOn.length > 0) return 'waiting';
  return spec.runAt ? 'scheduled' : 'active';
}
