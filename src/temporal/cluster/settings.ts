import path from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../../config';

/**
 * Everything `npm run cluster` needs to know, from the environment, parsed once. The full Temporal server
 * runs as four processes on fixed ports next to the dev server's (7233/8233), so both can be up at once.
 */

export const SERVER_VERSION = '1.29.1';
export const UI_VERSION = '2.42.1';

/** The four services of the server, each one process (`temporal-server start --service <name>`). */
export const SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * The one dynamic config file that `npm run cluster` and docker-compose.yml both give the server (and that
 * test/compose.test.ts checks against JOBLINE_DYNAMIC_CONFIG, which the dev server gets as flags).
 */
export const DYNAMIC_CONFIG_FILE = path.join(PROJECT_ROOT, 'deploy', 'temporal', 'dynamicconfig', 'development.yaml');

const port = z.coerce.number().int().min(1).max(65535);

export const ClusterEnvSchema = z.object({
  /** The PostgreSQL server that holds both databases (its path, if any, is ignored: the databases are named below). */
  JOBLINE_CLUSTER_DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/postgres'),
  JOBLINE_CLUSTER_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('temporal'),
  JOBLINE_CLUSTER_VISIBILITY_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default('temporal_visibility'),
  /** The frontend's gRPC port; the other services' ports sit next to it (see clusterPorts). */
  JOBLINE_CLUSTER_PORT: port.default(7243),
  JOBLINE_CLUSTER_UI_PORT: port.default(8243),
  JOBLINE_CLUSTER_NAMESPACE: z.string().min(1).default('default'),
  JOBLINE_CLUSTER_RETENTION_DAYS: z.coerce.number().int().positive().max(3650).default(7),
  /** Fixed for the life of the database: the server refuses to start on a different count. */
  JOBLINE_CLUSTER_SHARDS: z.coerce.number().int().min(4).max(16384).default(4),
  JOBLINE_CLUSTER_DIR: z.string().min(1).default('.temporal/cluster'),
  JOBLINE_CLUSTER_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('warn'),
});

export interface ServicePorts {
  grpc: number;
  membership: number;
  metrics: number;
  /** The frontend's HTTP API only. */
  http?: number;
}

export interface ClusterSettings {
  database: { host: string; port: number; user: string; password: string; name: string; visibilityName: string };
  ports: Record<ServiceName, ServicePorts>;
  uiPort: number;
  frontendAddress: string;
  uiUrl: string;
  namespace: string;
  retentionDays: number;
  shards: number;
  logLevel: string;
  /** State: the rendered config, logs and pid files. Git-ignored. */
  dir: string;
  configDir: string;
  logDir: string;
  runDir: string;
}

/**
 * Offsets from the frontend port, so one variable moves the whole cluster: gRPC frontend+0, HTTP +1,
 * history +2, matching +3, worker +4; membership (ringpop) 300 below, Prometheus metrics 2000 above.
 */
const GRPC_OFFSETS: Record<ServiceName, number> = { frontend: 0, history: 2, matching: 3, worker: 4 };

export function clusterPorts(frontendPort: number): Record<ServiceName, ServicePorts> {
  const ports = {} as Record<ServiceName, ServicePorts>;
  for (const service of SERVICES) {
    const grpc = frontendPort + GRPC_OFFSETS[service];
    ports[service] = { grpc, membership: grpc - 300, metrics: grpc + 2000 };
  }
  ports.frontend.http = frontendPort + 1;
  return ports;
}

export function loadClusterSettings(source: NodeJS.ProcessEnv = process.env): ClusterSettings {
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const env = ClusterEnvSchema.parse(present);
  const url = new URL(env.JOBLINE_CLUSTER_DATABASE_URL);
  if (!['postgres:', 'postgresql:'].includes(url.protocol)) {
    throw new Error(`JOBLINE_CLUSTER_DATABASE_URL: expected postgres://…, got ${url.protocol}`);
  }
  const dir = path.resolve(PROJECT_ROOT, env.JOBLINE_CLUSTER_DIR);
  return {
    database: {
      host: url.hostname || '127.0.0.1',
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || 'postgres'),
      password: decodeURIComponent(url.password),
      name: env.JOBLINE_CLUSTER_DATABASE,
      visibilityName: env.JOBLINE_CLUSTER_VISIBILITY_DATABASE,
    },
    ports: clusterPorts(env.JOBLINE_CLUSTER_PORT),
    uiPort: env.JOBLINE_CLUSTER_UI_PORT,
    frontendAddress: `127.0.0.1:${env.JOBLINE_CLUSTER_PORT}`,
    uiUrl: `http://127.0.0.1:${env.JOBLINE_CLUSTER_UI_PORT}`,
    namespace: env.JOBLINE_CLUSTER_NAMESPACE,
    retentionDays: env.JOBLINE_CLUSTER_RETENTION_DAYS,
    shards: env.JOBLINE_CLUSTER_SHARDS,
    logLevel: env.JOBLINE_CLUSTER_LOG_LEVEL,
    dir,
    configDir: path.join(dir, 'config'),
    logDir: path.join(dir, 'logs'),
    runDir: path.join(dir, 'run'),
  };
}
