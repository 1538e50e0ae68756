import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureSearchAttributes, setRetention } from '../namespace-setup';
import {
  CUSTOM_SEARCH_ATTRIBUTES,
  JobCorrelationIdKey,
  JobPriorityKey,
  JobStatusKey,
  JobTenantKey,
  JobTypeKey,
} from '../../jobs/search-attributes';

/**
 * A namespace on the full server made ready for Jobline: what deploy/temporal/setup-namespace.sh does for
 * docker-compose, through the same operator API. The full server creates no `default` namespace (the dev
 * server does), keeps custom search attributes per namespace on SQL visibility, and each service learns
 * about a new namespace or attribute on its own cache refresh: hence the probe at the end.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** system.namespaceCacheRefreshInterval's default (2 s), plus a margin. */
const CACHE_REFRESH_MS = 3_000;

/** Resolves once the frontend answers and the server's own system namespace is up. */
export async function waitForFrontend(address: string, timeoutMs: number, isDead: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const dead = isDead();
    if (dead) throw new Error(dead);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 3_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace: 'temporal-system' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new Error(`the frontend at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

async function namespaceExists(connection: Connection, namespace: string): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 5) return false; // NOT_FOUND
    throw err;
  }
}

/** Retries `attempt` until it succeeds or the deadline passes (new namespaces and attributes propagate). */
async function eventually<T>(what: string, timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * Starts (and terminates) a workflow that carries every custom search attribute: it succeeds only once
 * the frontend and history both know the namespace and the attributes, which is what a Jobline start needs.
 */
async function probeStart(connection: Connection, namespace: string): Promise<void> {
  const client = new Client({ connection, namespace });
  const handle = await client.workflow.start('jobline-namespace-probe', {
    taskQueue: `jobline-namespace-probe-${randomUUID()}`,
    workflowId: `jobline-namespace-probe-${randomUUID()}`,
    typedSearchAttributes: [
      { key: JobTypeKey, value: 'probe' },
      { key: JobStatusKey, value: 'probe' },
      { key: JobPriorityKey, value: 3 },
      { key: JobCorrelationIdKey, value: 'probe' },
      { key: JobTenantKey, value: 'probe' },
    ],
  });
  await handle.terminate('namespace readiness probe');
  await client.workflow.count(
    Object.keys(CUSTOM_SEARCH_ATTRIBUTES)
      .map((name) => (name === JobPriorityKey.name ? `${name} = 0` : `${name} = 'probe'`))
      .join(' AND '),
  );
}

export interface NamespaceReadiness {
  created: boolean;
  addedSearchAttributes: string[];
}

/** Creates the namespace if missing, sets its retention, registers the search attributes, waits until usable. */
export async function prepareClusterNamespace(
  connection: Connection,
  namespace: string,
  retentionDays: number,
  timeoutMs = 60_000,
): Promise<NamespaceReadiness> {
  let created = false;
  if (!(await namespaceExists(connection, namespace))) {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(retentionDays * DAY_MS),
      description: 'Jobline',
    });
    created = true;
  }
  await eventually(`namespace ${namespace} retention`, timeoutMs, () => setRetention(connection, namespace, retentionDays));
  const addedSearchAttributes = await eventually(`namespace ${namespace} search attributes`, timeoutMs, () =>
    ensureSearchAttributes(connection, namespace),
  );
  await eventually(`namespace ${namespace} readiness probe`, timeoutMs, () => probeStart(connection, namespace));
  // Matching (task queues) refreshes its namespace cache on its own timer: a worker polling before that
  // would be told the namespace does not exist.
  if (created || addedSearchAttributes.length > 0) await new Promise((resolve) => setTimeout(resolve, CACHE_REFRESH_MS));
  return { created, addedSearchAttributes };
}

/** Deletes a namespace and (in the background, on the server's worker service) everything in it. */
export async function deleteClusterNamespace(connection: Connection, namespace: string): Promise<void> {
  await connection.operatorService.deleteNamespace({ namespace });
}
