import fs from 'node:fs';
import path from 'node:path';
import { DYNAMIC_CONFIG_FILE, SERVICES, type ClusterSettings, type ServiceName } from './settings';

/**
 * The one config file the four server processes share, modelled on the server module's own
 * `config/development-postgres12.yaml`: persistence and SQL (advanced) visibility on PostgreSQL, static
 * ports per service, membership through the database. It is a template (`# enable-template`, rendered by the
 * server with sprig) for the two things that differ per process or must not be written to disk: the
 * Prometheus port and the database password, both read from the environment the process starts with.
 */

/** The file name the server looks for with `--env cluster`. */
export const SERVER_CONFIG_ENV = 'cluster';
export const METRICS_PORT_VAR = 'JOBLINE_CLUSTER_METRICS_PORT';
export const DB_PASSWORD_VAR = 'JOBLINE_CLUSTER_DB_PASSWORD';

/** Per process: the pool is per service, and the four share one PostgreSQL (100 connections by default). */
const MAX_CONNS = 10;
const MAX_VISIBILITY_CONNS = 4;

const q = (value: string) => JSON.stringify(value); // a JSON string is a YAML double-quoted scalar

function datastore(settings: ClusterSettings, databaseName: string, maxConns: number): string {
  const { host, port, user } = settings.database;
  return `      sql:
        pluginName: "postgres12"
        databaseName: ${q(databaseName)}
        connectAddr: ${q(`${host}:${port}`)}
        connectProtocol: "tcp"
        user: ${q(user)}
        password: {{ env "${DB_PASSWORD_VAR}" | toJson }}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
}

function serviceBlock(settings: ClusterSettings, service: ServiceName): string {
  const ports = settings.ports[service];
  const http = ports.http === undefined ? '' : `\n      httpPort: ${ports.http}`;
  return `  ${service}:
    rpc:
      grpcPort: ${ports.grpc}
      membershipPort: ${ports.membership}
      bindOnIP: "127.0.0.1"${http}`;
}

export function renderServerConfig(settings: ClusterSettings): string {
  return `# enable-template
# Written by \`npm run cluster -- up\` (src/temporal/cluster/server-config.ts): edit that, not this file.
log:
  stdout: true
  level: ${q(settings.logLevel)}

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${settings.shards}
  datastores:
    postgres-default:
${datastore(settings, settings.database.name, MAX_CONNS)}
    postgres-visibility:
${datastore(settings, settings.database.visibilityName, MAX_VISIBILITY_CONNS)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:{{ env "${METRICS_PORT_VAR}" }}"

services:
${SERVICES.map((service) => serviceBlock(settings, service)).join('\n\n')}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: ${q(settings.frontendAddress)}

dcRedirectionPolicy:
  policy: "noop"

# The worker service (system workflows: batch operations, schedules, deletes) calls the frontend here.
publicClient:
  hostPort: ${q(settings.frontendAddress)}

archival:
  history:
    state: "disabled"
  visibility:
    state: "disabled"

namespaceDefaults:
  archival:
    history:
      state: "disabled"
    visibility:
      state: "disabled"

# The same file docker-compose.yml mounts (test/compose.test.ts checks both).
dynamicConfigClient:
  filepath: ${q(DYNAMIC_CONFIG_FILE)}
  pollInterval: "10s"
`;
}

/** The Web UI server's config (ui-server reads \`<dir>/<env>.yaml\`). */
export function renderUiConfig(settings: ClusterSettings): string {
  return `# Written by \`npm run cluster -- up\` (src/temporal/cluster/server-config.ts).
temporalGrpcAddress: ${q(settings.frontendAddress)}
host: "127.0.0.1"
port: ${settings.uiPort}
enableUi: true
defaultNamespace: ${q(settings.namespace)}
hideLogs: true
cors:
  cookieInsecure: true
  unsafeAllowAllOrigins: false
  allowOrigins: []
`;
}

export function uiConfigDir(settings: ClusterSettings): string {
  return path.join(settings.configDir, 'ui');
}

/** Writes both configs through temp names, so a running process never reads half a file. */
export function writeConfigs(settings: ClusterSettings): { serverConfig: string; uiConfig: string } {
  const serverConfig = path.join(settings.configDir, `${SERVER_CONFIG_ENV}.yaml`);
  const uiConfig = path.join(uiConfigDir(settings), `${SERVER_CONFIG_ENV}.yaml`);
  for (const [file, text] of [
    [serverConfig, renderServerConfig(settings)],
    [uiConfig, renderUiConfig(settings)],
  ] as const) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }
  return { serverConfig, uiConfig };
}
