import type { SearchAttributePair } from '@temporalio/common';
import { JobCorrelationIdKey, JobPriorityKey, JobStatusKey, JobTenantKey, JobTypeKey } from './search-attributes';
import type { JobMemo } from '../workflows/job-state';
import { initialCoarseStatus } from './status';
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
    ...(spec.tenant ? { tenant: spec.tenant } : {}),
    ...(spec.notify ? { notify: spec.notify } : {}),
  };
}

/**
 * The search attributes a job starts with: what the Web UI and `GET /v1/jobs` filter by. A spec without a
 * tenant (an old history replaying) gets no JobTenant, so its commands stay as they were.
 */
export function initialSearchAttributes(spec: JobSpec): SearchAttributePair[] {
  return [
    { key: JobTypeKey, value: spec.type },
    { key: JobStatusKey, value: initialCoarseStatus(spec) },
    { key: JobPriorityKey, value: spec.priority },
    { key: JobCorrelationIdKey, value: spec.correlationId },
    ...(spec.tenant ? [{ key: JobTenantKey, value: spec.tenant }] : []),
  ];
}
