import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { ArtifactMeta } from '../../src/artifacts';
import { loadConfig } from '../../src/config';
import type { ReportJobResult } from '../../src/activities/report';

/** A temp source directory and artifact directory for one suite, removed by `cleanup`. */
export interface ReportDirs {
  sourceDir: string;
  artifactDir: string;
  /** Env for startStack / a spawned worker. */
  env: Record<string, string>;
  cleanup(): void;
}

export function makeReportDirs(): ReportDirs {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-reports-'));
  const sourceDir = path.join(root, 'sources');
  const artifactDir = path.join(root, 'artifacts');
  fs.mkdirSync(sourceDir);
  return {
    sourceDir,
    artifactDir,
    env: { JOBLINE_REPORT_SOURCE_DIR: sourceDir, JOBLINE_ARTIFACT_DIR: artifactDir },
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

export const databaseUrl = (): string => loadConfig().reports.databaseUrl;

/** A table name no other test or the demo uses. */
export function tempTableName(label: string): string {
  return `jobline_test_${label}_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
}

export async function withPg<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropTables(tables: string[]): Promise<void> {
  if (tables.length === 0) return;
  await withPg(async (client) => {
    for (const table of tables) await client.query(`DROP TABLE IF EXISTS ${table}`);
  });
}

export const sha256 = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

export interface Download {
  status: number;
  headers: Headers;
  body: Buffer;
}

export async function download(baseUrl: string, urlPath: string, headers: Record<string, string> = {}): Promise<Download> {
  const response = await fetch(`${baseUrl}${urlPath}`, { headers });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** The JSON rows of one table artifact. */
export async function tableRows(baseUrl: string, jobId: string, table: string): Promise<Record<string, string | number>[]> {
  const { status, body } = await download(baseUrl, `/v1/jobs/${encodeURIComponent(jobId)}/artifacts/${table}.json`);
  if (status !== 200) throw new Error(`GET ${table}.json: ${status} ${body.toString()}`);
  return (JSON.parse(body.toString()) as { rows: Record<string, string | number>[] }).rows;
}

/** What must match between two runs of the same report: rows and every artifact's bytes. */
export function comparable(result: ReportJobResult): {
  rows: ReportJobResult['rows'];
  artifacts: Pick<ArtifactMeta, 'name' | 'size' | 'sha256'>[];
} {
  return { rows: result.rows, artifacts: result.artifacts.map(({ name, size, sha256: hash }) => ({ name, size, sha256: hash })) };
}
