import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import type { ClusterBinaries } from './binaries';
import type { ClusterSettings } from './settings';

/**
 * Temporal's two databases on PostgreSQL, set up with the tool and the schema files of the server
 * version that runs on them: the same three steps as deploy/temporal/setup-schema.sh (docker-compose).
 * `up` only ever adds: a missing database is created, `setup-schema -v 0.0` adds the versioning tables when
 * absent, `update-schema` applies the versions the database lacks. Only `reset` drops.
 */

interface SchemaTarget {
  database: string;
  /** The directory under schema/postgresql/v12. */
  schema: 'temporal' | 'visibility';
}

/**
 * What runs on every `up`, after a missing database was created (`create-database`): the versioning tables
 * (a no-op when present), then every schema version the database lacks. deploy/temporal/setup-schema.sh
 * runs the same steps for docker-compose (test/compose.test.ts checks).
 */
export const SCHEMA_STEPS: ReadonlyArray<(versionedDir: string) => string[]> = [
  () => ['setup-schema', '-v', '0.0'],
  (versionedDir) => ['update-schema', '-d', versionedDir],
];

function targets(settings: ClusterSettings): SchemaTarget[] {
  return [
    { database: settings.database.name, schema: 'temporal' },
    { database: settings.database.visibilityName, schema: 'visibility' },
  ];
}

/** Runs temporal-sql-tool; the password travels in SQL_PASSWORD (the tool reads it), never in argv. */
function sqlTool(binaries: ClusterBinaries, settings: ClusterSettings, args: string[]): Promise<void> {
  const { host, port, user, password } = settings.database;
  const argv = ['--plugin', 'postgres12', '--ep', host, '-p', String(port), '-u', user, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(binaries.sqlTool, argv, {
      env: { ...process.env, SQL_PASSWORD: password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`temporal-sql-tool ${args.join(' ')} exited ${code}:\n${output.trim()}`)),
    );
  });
}

async function withAdminConnection<T>(settings: ClusterSettings, use: (pg: PgClient) => Promise<T>): Promise<T> {
  const { host, port, user, password } = settings.database;
  const pg = new PgClient({ host, port, user, password, database: 'postgres' });
  await pg.connect();
  try {
    return await use(pg);
  } finally {
    await pg.end();
  }
}

export async function existingDatabases(settings: ClusterSettings): Promise<string[]> {
  const names = targets(settings).map((target) => target.database);
  return withAdminConnection(settings, async (pg) => {
    const { rows } = await pg.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]);
    return rows.map((row) => row.datname);
  });
}

/** Creates what is missing and brings both schemas to the version the server ships. Returns what it did. */
export async function setUpSchemas(binaries: ClusterBinaries, settings: ClusterSettings): Promise<string[]> {
  const existing = new Set(await existingDatabases(settings));
  const done: string[] = [];
  for (const { database, schema } of targets(settings)) {
    if (!existing.has(database)) {
      await sqlTool(binaries, settings, ['--db', database, 'create-database', '--defaultdb', 'postgres']);
      done.push(`created database ${database}`);
    }
    for (const step of SCHEMA_STEPS) {
      await sqlTool(binaries, settings, ['--db', database, ...step(path.join(binaries.schemaDir, schema, 'versioned'))]);
    }
    done.push(`${database}: ${schema} schema up to date`);
  }
  return done;
}

/** Drops both databases: every workflow, history and namespace in them is gone. */
export async function dropDatabases(binaries: ClusterBinaries, settings: ClusterSettings): Promise<string[]> {
  const existing = new Set(await existingDatabases(settings));
  const dropped: string[] = [];
  for (const { database } of targets(settings)) {
    if (!existing.has(database)) continue;
    await sqlTool(binaries, settings, ['--db', database, 'drop-database', '--defaultdb', 'postgres', '-f']);
    dropped.push(database);
  }
  return dropped;
}
