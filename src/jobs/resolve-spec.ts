import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_TENANT } from '../auth/principal';
import { tenantScopedId } from '../tenancy/tenant-ids';
import { resourceClassOf, type JobTypeDefinition } from './define';
import type { JobSpec } from './spec';
import { LIFECYCLE_REVISION } from './status';
import type { JobOverrides, SubmitJobRequest } from './submission';

export interface ResolveOptions {
  request: JobOverrides & Partial<Pick<SubmitJobRequest, 'runAt' | 'delayMs'>>;
  /**
   * Job ids to wait for. Not read from `request`: a pipeline node's own `dependsOn` names nodes, not jobs,
   * and the pipeline waits for those itself.
   */
  dependsOn?: string[];
  jobType: JobTypeDefinition;
  /** The input after the job type's schema applied its defaults. */
  input: unknown;
  idempotencyKey?: string;
  correlationId?: string;
  /** The tenant that will own the job; unset for a pipeline's nodes, which the pipeline gives its own. */
  tenant?: string;
  now?: Date;
}

/**
 * Random ids never start with `idem-` (a UUID is hex), so the two kinds of id cannot collide. An idempotent
 * id is scoped to its tenant: two tenants may use the same key for two different jobs.
 */
export function jobIdFor(type: string, idempotencyKey?: string, tenant: string = DEFAULT_TENANT): string {
  return idempotencyKey ? tenantScopedId(tenant, `${type}-idem-${idempotencyKey}`) : `${type}-${randomUUID()}`;
}

/** Merges the job type's defaults with the request's overrides into the one spec the workflow runs. */
export function resolveJobSpec(options: ResolveOptions): JobSpec {
  const { request, jobType, input } = options;
  const now = options.now ?? new Date();
  const defaults = jobType.defaults;
  const runAt =
    request.runAt !== undefined
      ? new Date(request.runAt).toISOString()
      : request.delayMs
        ? new Date(now.getTime() + request.delayMs).toISOString()
        : undefined;
  const retry = { ...defaults.retry, ...request.retry };
  retry.maxIntervalMs = Math.max(retry.maxIntervalMs, retry.initialIntervalMs);
  return {
    id: jobIdFor(jobType.type, options.idempotencyKey, options.tenant),
    type: jobType.type,
    activity: jobType.activity ?? '',
    input,
    priority: request.priority ?? defaults.priority,
    maxAttempts: request.maxAttempts ?? defaults.maxAttempts,
    retry,
    nonRetryableErrorTypes: defaults.nonRetryableErrorTypes,
    attemptTimeoutMs: request.attemptTimeoutMs ?? defaults.attemptTimeoutMs,
    timeoutMs: request.timeoutMs ?? defaults.timeoutMs,
    heartbeatTimeoutMs: request.heartbeatTimeoutMs ?? defaults.heartbeatTimeoutMs,
    runAt,
    ...(options.dependsOn && options.dependsOn.length > 0 ? { dependsOn: options.dependsOn } : {}),
    metadata: request.metadata ?? {},
    correlationId: options.correlationId ?? randomUUID(),
    createdAt: now.toISOString(),
    lifecycleRevision: LIFECYCLE_REVISION,
    resourceClass: resourceClassOf(jobType, input),
    ...(options.tenant ? { tenant: options.tenant } : {}),
    ...(request.notify ? { notify: request.notify } : {}),
  };
}

/** A fingerprint of what the client asked for, to tell a retried request from a different one. */
export function requestHash(request: object): string {
  return createHash('sha256').update(stableStringify(request)).digest('hex');
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
