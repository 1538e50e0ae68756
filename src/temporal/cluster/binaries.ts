import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../config';
import { SERVER_VERSION } from './settings';

/** Where scripts/install-temporal-server.cjs puts the server, its schema tool, the Web UI and the schema files. */
export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  uiServer: string;
  /** schema/postgresql/v12 of the server module: `temporal/versioned` and `visibility/versioned`. */
  schemaDir: string;
}

export const INSTALLER = path.join(PROJECT_ROOT, 'scripts', 'install-temporal-server.cjs');

export function clusterBinaries(): ClusterBinaries {
  const bin = path.join(PROJECT_ROOT, '.temporal', 'bin');
  return {
    server: path.join(bin, 'temporal-server'),
    sqlTool: path.join(bin, 'temporal-sql-tool'),
    uiServer: path.join(bin, 'temporal-ui-server'),
    schemaDir: path.join(PROJECT_ROOT, '.temporal', 'server-schema', SERVER_VERSION),
  };
}

/**
 * Runs the installer (a no-op when everything is in place; minutes of `go install` on a cold machine) and
 * returns the paths. Its progress goes to our stderr.
 */
export function installClusterBinaries(): ClusterBinaries {
  const run = spawnSync(process.execPath, [INSTALLER], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (run.status !== 0) throw new Error(`${path.relative(PROJECT_ROOT, INSTALLER)} failed (exit ${run.status})`);
  const binaries = clusterBinaries();
  for (const file of [binaries.server, binaries.sqlTool, binaries.uiServer, binaries.schemaDir]) {
    if (!fs.existsSync(file)) throw new Error(`the installer left no ${file}`);
  }
  return binaries;
}
