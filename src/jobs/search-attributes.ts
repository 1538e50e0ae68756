import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Imported by workflow code too: keep this file free of Node APIs.

/** The job type (`http`, `report`, ...): filter the Web UI or `temporal workflow list` by it. */
export const JobTypeKey = defineSearchAttributeKey('JobType', SearchAttributeType.KEYWORD);
/**
 * The job's coarse state, kept up to date by the workflow: waiting (for `dependsOn`), scheduled, active (queued/running/retrying,
 * which only the pending activity can tell apart), dead_lettered, completed, failed, cancelled, timed_out.
 */
export const JobStatusKey = defineSearchAttributeKey('JobStatus', SearchAttributeType.KEYWORD);
/** 1 (highest) … 5 (lowest). */
export const JobPriorityKey = defineSearchAttributeKey('JobPriority', SearchAttributeType.INT);
export const JobCorrelationIdKey = defineSearchAttributeKey('JobCorrelationId', SearchAttributeType.KEYWORD);
/**
 * The tenant that owns the job (or schedule): every tenant-scoped listing has `JobTenant = '<tenant>'` in its
 * visibility query. Absent on jobs from before tenants, which belong to the default tenant.
 */
export const JobTenantKey = defineSearchAttributeKey('JobTenant', SearchAttributeType.KEYWORD);

/** Name → type as the dev server's `--search-attribute` flag and the operator API spell them. */
export const CUSTOM_SEARCH_ATTRIBUTES = {
  [JobTypeKey.name]: 'Keyword',
  [JobStatusKey.name]: 'Keyword',
  [JobPriorityKey.name]: 'Int',
  [JobCorrelationIdKey.name]: 'Keyword',
  [JobTenantKey.name]: 'Keyword',
} as const;
