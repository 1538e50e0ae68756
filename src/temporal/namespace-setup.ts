import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../jobs/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

const TYPE_BY_NAME: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers the search attributes Jobline writes that the namespace lacks. The dev server's
 * `--search-attribute` flags only take effect when the namespace is created, so a database file from an
 * older Jobline needs this; on a real cluster it needs operator rights. Returns the names it added.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.entries(CUSTOM_SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPE_BY_NAME[type]!])),
  });
  return missing.map(([name]) => name);
}

/**
 * What every Jobline process checks at start-up: the search attributes exist (a managed cluster may deny
 * the operator call; then they must have been created already) and, on the embedded server, retention.
 */
export async function prepareNamespace(
  connection: Connection,
  namespace: string,
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
  retentionDays?: number,
): Promise<void> {
  try {
    const added = await ensureSearchAttributes(connection, namespace);
    if (added.length > 0) log.info({ added }, 'registered missing search attributes');
  } catch (err) {
    log.warn({ err }, 'could not check search attributes; listing jobs by status needs them');
  }
  if (retentionDays !== undefined) await setRetention(connection, namespace, retentionDays);
}

/** Sets how long closed jobs stay in Temporal (the dev server's default is 24 h and has no flag). */
export async function setRetention(connection: Connection, namespace: string, days: number): Promise<void> {
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msToTs(days * 24 * 60 * 60 * 1000) },
  });
}
