import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parse } from 'yaml';
import { authModeFor } from '../src/auth/auth-mode';
import { EnvSchema, loadConfig, PROJECT_ROOT } from '../src/config';
import { clusterBinaries } from '../src/temporal/cluster/binaries';
import { SCHEMA_STEPS } from '../src/temporal/cluster/schema';
import { renderServerConfig, SERVER_CONFIG_ENV } from '../src/temporal/cluster/server-config';
import { DYNAMIC_CONFIG_FILE, loadClusterSettings, SERVER_VERSION, UI_VERSION } from '../src/temporal/cluster/settings';
import { JOBLINE_DYNAMIC_CONFIG } from '../src/temporal/dev-server';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/jobs/search-attributes';

// Keeps docker-compose.yml in step with the code: it reads the file as Compose would (YAML with
// merge keys) and needs neither Docker nor a Temporal server.

const COMPOSE_FILE = path.join(PROJECT_ROOT, 'docker-compose.yml');
/** The services this file is about, by the names docker-compose.yml gives them. */
const JOBLINE_SERVICES = ['api', 'worker'] as const;
const SERVER_SERVICE = 'temporal';
const SETUP_SERVICE = 'temporal-setup';
const UI_SERVICE = 'temporal-ui';
const DEPENDS_ON_CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: unknown[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  container_name?: string;
}

interface ComposeFile {
  services: Record<string, Service>;
}

function loadCompose(): ComposeFile {
  const doc = parse(fs.readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
  assert.ok(doc && typeof doc.services === 'object', 'docker-compose.yml has no services');
  return doc;
}

function service(compose: ComposeFile, name: string): Service {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has no service "${name}"`);
  return found;
}

/** A service's environment as name → value; `${VAR:-default}` counts as its default. */
function environmentOf(svc: Service): Record<string, string> {
  const entries: [string, string][] = Array.isArray(svc.environment)
    ? svc.environment.map((line) => {
        const eq = line.indexOf('=');
        return eq === -1 ? [line, ''] : [line.slice(0, eq), line.slice(eq + 1)];
      })
    : Object.entries(svc.environment ?? {}).map(([key, value]) => [key, value === null ? '' : String(value)]);
  return Object.fromEntries(entries.map(([key, value]) => [key, value.replace(/^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}$/, '$1')]));
}

function dependenciesOf(svc: Service): Record<string, string> {
  if (Array.isArray(svc.depends_on)) return Object.fromEntries(svc.depends_on.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(svc.depends_on ?? {}).map(([name, spec]) => [name, spec?.condition ?? 'service_started']));
}

function words(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.trim().split(/\s+/);
}

/** Bind mounts as [host path (absolute), container path]. */
function bindMounts(svc: Service): [string, string][] {
  const mounts: [string, string][] = [];
  for (const volume of svc.volumes ?? []) {
    const [source, target] =
      typeof volume === 'string' ? volume.split(':') : [volume.type === 'bind' ? volume.source : undefined, volume.target];
    if (source && target && /^[./~]/.test(source)) mounts.push([path.resolve(PROJECT_ROOT, source), target]);
  }
  return mounts;
}

/** The host file a bind mount puts at `containerPath` (the file itself or a directory above it). */
function hostPathOf(svc: Service, containerPath: string): string | undefined {
  for (const [host, target] of bindMounts(svc)) {
    const relative = path.posix.relative(target, containerPath);
    if (relative === '') return host;
    if (!relative.startsWith('..') && !path.posix.isAbsolute(relative)) return path.join(host, relative);
  }
  return undefined;
}

function parseImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = image.split('@');
  const slash = withoutDigest!.lastIndexOf('/');
  const colon = withoutDigest!.lastIndexOf(':');
  return colon > slash
    ? { name: withoutDigest!.slice(0, colon), tag: withoutDigest!.slice(colon + 1), digest }
    : { name: withoutDigest!, digest };
}

describe('docker-compose.yml', () => {
  let compose: ComposeFile;

  before(() => {
    compose = loadCompose();
  });

  it('sets on api and worker only variables that src/config.ts reads, with values it accepts', () => {
    const known = new Set(Object.keys(EnvSchema.shape));
    for (const name of JOBLINE_SERVICES) {
      const env = environmentOf(service(compose, name));
      const unknown = Object.keys(env).filter((key) => !known.has(key));
      assert.deepEqual(unknown, [], `${name}: not keys of EnvSchema in src/config.ts`);
      // loadConfig applies the whole schema plus its cross-field rules, as the process would.
      assert.doesNotThrow(() => loadConfig(env), `${name}: its environment does not load`);
    }
  });

  it('points api and worker at the same server, namespace and task queue', () => {
    const [api, worker] = JOBLINE_SERVICES.map((name) => loadConfig(environmentOf(service(compose, name))));
    assert.ok(api!.temporal.address, 'api: TEMPORAL_ADDRESS is not set, so it would start an embedded server');
    assert.equal(worker!.temporal.address, api!.temporal.address, 'TEMPORAL_ADDRESS');
    assert.equal(worker!.temporal.namespace, api!.temporal.namespace, 'TEMPORAL_NAMESPACE');
    assert.equal(worker!.taskQueue, api!.taskQueue, 'JOBLINE_TASK_QUEUE');

    const [host, port] = api!.temporal.address!.split(':');
    assert.equal(host, SERVER_SERVICE, 'TEMPORAL_ADDRESS must name the Temporal server service');
    assert.equal(port, '7233', 'TEMPORAL_ADDRESS must use the frontend port');
  });

  it('publishes the API on the port it listens on and links to the published Web UI', () => {
    const api = service(compose, 'api');
    const config = loadConfig(environmentOf(api));
    assert.equal(config.api.host, '0.0.0.0', 'api: JOBLINE_API_HOST must be 0.0.0.0 inside a container');
    // Off loopback without keys the API refuses to start: the file must say how it authenticates.
    assert.doesNotThrow(() => authModeFor(config.auth, config.api.host), 'api: set JOBLINE_API_KEYS_FILE or JOBLINE_AUTH=none');
    const published = (api.ports ?? []).map(String);
    assert.ok(
      published.some((spec) => spec.endsWith(`:${config.api.port}`)),
      `api: no published port maps to JOBLINE_API_PORT ${config.api.port} (ports: ${published.join(', ')})`,
    );
    const uiPort = new URL(config.temporal.uiUrl ?? 'http://missing').port;
    const uiPublished = (service(compose, UI_SERVICE).ports ?? []).map(String);
    assert.ok(
      uiPublished.some((spec) => spec.split(':').at(-2) === uiPort),
      `api: TEMPORAL_UI_URL port ${uiPort} is not where ${UI_SERVICE} is published (${uiPublished.join(', ')})`,
    );
  });

  it('runs api and worker as the package.json scripts of the same image', () => {
    const scripts = (
      JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const images = new Set<string | undefined>();
    for (const [name, script] of [
      ['api', 'api'],
      ['worker', 'worker'],
    ] as const) {
      const svc = service(compose, name);
      assert.deepEqual(words(svc.command), ['npm', 'run', script], `${name}: command`);
      assert.ok(scripts[script], `package.json has no "${script}" script`);
      assert.ok(svc.build, `${name}: must be built from this repository (build: .)`);
      images.add(svc.image);
    }
    assert.equal(images.size, 1, 'api and worker must use one image');
  });

  it('registers every custom search attribute, with its type, in the setup service', () => {
    const env = environmentOf(service(compose, SETUP_SERVICE));
    assert.ok(env.SEARCH_ATTRIBUTES, `${SETUP_SERVICE}: SEARCH_ATTRIBUTES is not set`);
    const registered = Object.fromEntries(
      env.SEARCH_ATTRIBUTES.trim()
        .split(/\s+/)
        .map((pair) => pair.split('=') as [string, string]),
    );
    assert.deepEqual(registered, { ...CUSTOM_SEARCH_ATTRIBUTES }, `${SETUP_SERVICE}: SEARCH_ATTRIBUTES`);
  });

  it('sets the retention and prepares the namespace that api and worker use', () => {
    const setup = service(compose, SETUP_SERVICE);
    const env = environmentOf(setup);
    const days = EnvSchema.shape.JOBLINE_RETENTION_DAYS.parse(undefined);
    assert.equal(env.NAMESPACE_RETENTION, `${days * 24}h`, `${SETUP_SERVICE}: NAMESPACE_RETENTION`);
    const api = loadConfig(environmentOf(service(compose, 'api')));
    assert.equal(env.TEMPORAL_NAMESPACE ?? 'default', api.temporal.namespace, `${SETUP_SERVICE}: TEMPORAL_NAMESPACE`);
    assert.equal(env.TEMPORAL_ADDRESS, api.temporal.address, `${SETUP_SERVICE}: TEMPORAL_ADDRESS`);

    // The variables above only matter if the mounted script uses them.
    const script = words(setup.entrypoint)
      .concat(words(setup.command))
      .find((word) => word.endsWith('.sh'));
    assert.ok(script, `${SETUP_SERVICE}: runs no .sh script`);
    const hostScript = hostPathOf(setup, script);
    assert.ok(hostScript && fs.existsSync(hostScript), `${SETUP_SERVICE}: ${script} is not mounted from this repository`);
    const text = fs.readFileSync(hostScript, 'utf8');
    for (const needle of ['SEARCH_ATTRIBUTES', 'NAMESPACE_RETENTION', 'search-attribute create', '--retention']) {
      assert.ok(text.includes(needle), `${path.relative(PROJECT_ROOT, hostScript)} does not use ${needle}`);
    }
  });

  it('mounts a dynamic config that sets every key of JOBLINE_DYNAMIC_CONFIG to the same value', () => {
    const server = service(compose, SERVER_SERVICE);
    const filePath = environmentOf(server).DYNAMIC_CONFIG_FILE_PATH;
    assert.ok(filePath, `${SERVER_SERVICE}: DYNAMIC_CONFIG_FILE_PATH is not set`);
    // A relative path is relative to the image's working directory, /etc/temporal.
    const hostFile = hostPathOf(server, path.posix.resolve('/etc/temporal', filePath));
    assert.ok(hostFile, `${SERVER_SERVICE}: no bind mount provides ${filePath}`);
    assert.ok(fs.existsSync(hostFile), `${path.relative(PROJECT_ROOT, hostFile)} does not exist`);

    const dynamicConfig = parse(fs.readFileSync(hostFile, 'utf8')) as Record<
      string,
      { value: unknown; constraints?: Record<string, unknown> }[]
    >;
    for (const [key, value] of Object.entries(JOBLINE_DYNAMIC_CONFIG)) {
      const global = (dynamicConfig?.[key] ?? []).filter((entry) => Object.keys(entry.constraints ?? {}).length === 0);
      assert.equal(global.length, 1, `${key}: expected one unconstrained value in ${path.basename(hostFile)}`);
      assert.deepEqual(global[0]!.value, value, `${key} in ${path.basename(hostFile)}`);
    }
  });

  it('lets the worker scale: no published ports and no container_name', () => {
    const worker = service(compose, 'worker');
    assert.equal(worker.ports, undefined, 'worker: ports');
    assert.equal(worker.container_name, undefined, 'worker: container_name');
  });

  it('pins every image to a version', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      assert.ok(svc.image || svc.build, `${name}: neither image nor build`);
      if (!svc.image) continue;
      const { tag, digest } = parseImage(svc.image);
      assert.ok(tag || digest, `${name}: ${svc.image} has no tag`);
      assert.notEqual(tag, 'latest', `${name}: ${svc.image}`);
      assert.ok(!svc.image.includes('${'), `${name}: ${svc.image} depends on the environment`);
    }
    // The schema that admin-tools installs must be the one of the server that runs on it.
    const serverTag = parseImage(service(compose, SERVER_SERVICE).image ?? '').tag ?? '';
    for (const [name, svc] of Object.entries(compose.services)) {
      const image = parseImage(svc.image ?? '');
      if (image.name.endsWith('temporalio/admin-tools')) {
        assert.ok(
          image.tag === serverTag || image.tag?.startsWith(`${serverTag}-`),
          `${name}: admin-tools ${image.tag} does not match temporalio/server ${serverTag}`,
        );
      }
    }
  });

  it('orders start-up: depends_on names existing services, and conditions can be met', () => {
    const names = new Set(Object.keys(compose.services));
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [dependency, condition] of Object.entries(dependenciesOf(svc))) {
        assert.ok(names.has(dependency), `${name}: depends on unknown service "${dependency}"`);
        assert.ok(DEPENDS_ON_CONDITIONS.includes(condition), `${name}: unknown condition ${condition}`);
        if (condition === 'service_healthy') {
          const check = compose.services[dependency]!.healthcheck;
          assert.ok(check?.test && !check.disable, `${name}: waits for ${dependency} to be healthy, which has no healthcheck`);
        }
      }
    }
    for (const name of JOBLINE_SERVICES) {
      assert.equal(
        dependenciesOf(service(compose, name))[SETUP_SERVICE],
        'service_completed_successfully',
        `${name}: must start after ${SETUP_SERVICE} completed`,
      );
    }
    assert.equal(dependenciesOf(service(compose, SETUP_SERVICE))[SERVER_SERVICE], 'service_healthy', SETUP_SERVICE);
  });

  // dclint ships the Compose Specification's JSON schema (its package exports only package.json, hence the
  // path from there); ajv checks against it.
  it('follows the Compose Specification schema', async () => {
    const schemaFile = path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
    // ajv is CommonJS: the import's `default` is its module.exports, whose `default` is the class.
    const { default: ajv } = await import('ajv');
    const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
    delete schema.$schema; // draft-07 under an https URL ajv does not register; draft-07 is ajv's default anyway
    const validate = new ajv.default({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    const valid = validate(compose);
    assert.ok(valid, `docker-compose.yml:\n${JSON.stringify(validate.errors, null, 2)}`);
  });

  it('mounts only files that exist in this repository, or Jobline’s runtime data directory', () => {
    // data/ is git-ignored and written at run time (npm run seed:demo fills data/demo); Docker creates a
    // missing bind-mount directory itself. Everything else mounted is configuration that must be here.
    const runtimeData = path.join(PROJECT_ROOT, 'data') + path.sep;
    let checked = 0;
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [host] of bindMounts(svc)) {
        if (host.startsWith(runtimeData)) continue;
        assert.ok(fs.existsSync(host), `${name}: ${path.relative(PROJECT_ROOT, host)} does not exist`);
        checked += 1;
      }
    }
    assert.ok(checked >= 3, 'the Temporal setup scripts and dynamic config are mounted');
  });
});

/** The server config `npm run cluster` writes, as the server itself renders and validates it. */
function renderedClusterConfig(): Record<string, unknown> | undefined {
  const server = clusterBinaries().server;
  if (!fs.existsSync(server)) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-cluster-config-'));
  try {
    fs.writeFileSync(path.join(dir, `${SERVER_CONFIG_ENV}.yaml`), renderServerConfig(loadClusterSettings({})));
    const run = spawnSync(server, ['--root', '/', '--config', dir, '--env', SERVER_CONFIG_ENV, 'render-config'], {
      encoding: 'utf8',
      env: { ...process.env, JOBLINE_CLUSTER_METRICS_PORT: '9999', JOBLINE_CLUSTER_DB_PASSWORD: 'secret"\\quoted' },
    });
    assert.equal(run.status, 0, `temporal-server render-config: ${run.stderr}`);
    return parse(run.stdout) as Record<string, unknown>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('docker-compose.yml and `npm run cluster` (the same full server, configured alike)', () => {
  let compose: ComposeFile;
  const cluster = loadClusterSettings({});

  before(() => {
    compose = loadCompose();
  });

  it('run the same server and Web UI versions', () => {
    assert.equal(parseImage(service(compose, SERVER_SERVICE).image ?? '').tag, SERVER_VERSION, 'temporalio/server');
    assert.equal(parseImage(service(compose, UI_SERVICE).image ?? '').tag, UI_VERSION, 'temporalio/ui');
  });

  it('give the server the same dynamic config file', () => {
    const server = service(compose, SERVER_SERVICE);
    const mounted = hostPathOf(server, path.posix.resolve('/etc/temporal', environmentOf(server).DYNAMIC_CONFIG_FILE_PATH ?? ''));
    assert.equal(mounted, DYNAMIC_CONFIG_FILE, 'compose mounts another file than npm run cluster uses');
    assert.ok(
      renderServerConfig(cluster).includes(`filepath: ${JSON.stringify(DYNAMIC_CONFIG_FILE)}`),
      'npm run cluster points its server config at another dynamic config file',
    );
  });

  it('use the same databases, shard count, namespace and retention', () => {
    const server = environmentOf(service(compose, SERVER_SERVICE));
    assert.equal(server.DBNAME, cluster.database.name, `${SERVER_SERVICE}: DBNAME`);
    assert.equal(server.VISIBILITY_DBNAME, cluster.database.visibilityName, `${SERVER_SERVICE}: VISIBILITY_DBNAME`);
    assert.equal(Number(server.NUM_HISTORY_SHARDS), cluster.shards, `${SERVER_SERVICE}: NUM_HISTORY_SHARDS`);
    const schema = environmentOf(service(compose, 'temporal-schema'));
    assert.equal(schema.SQL_DATABASE, cluster.database.name, 'temporal-schema: SQL_DATABASE');
    assert.equal(schema.SQL_VISIBILITY_DATABASE, cluster.database.visibilityName, 'temporal-schema: SQL_VISIBILITY_DATABASE');
    assert.equal(schema.SQL_PLUGIN, 'postgres12', 'temporal-schema: SQL_PLUGIN');
    const setup = environmentOf(service(compose, SETUP_SERVICE));
    assert.equal(setup.TEMPORAL_NAMESPACE ?? 'default', cluster.namespace, `${SETUP_SERVICE}: TEMPORAL_NAMESPACE`);
    assert.equal(setup.NAMESPACE_RETENTION, `${cluster.retentionDays * 24}h`, `${SETUP_SERVICE}: NAMESPACE_RETENTION`);
  });

  it('set up the schemas with the same temporal-sql-tool steps', () => {
    const script = fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'temporal', 'setup-schema.sh'), 'utf8');
    // The shell script's spelling of the versioned schema directory that schema.ts passes as an absolute path.
    const lines = script.split('\n').map((line) => line.trim().replaceAll('"${SCHEMA_DIR}/${schema}/versioned"', 'VERSIONED'));
    assert.ok(lines.includes('sql_tool --db "$database" create'), 'setup-schema.sh creates the database');
    for (const step of SCHEMA_STEPS) {
      const expected = `sql_tool --db "$database" ${step('VERSIONED').join(' ')}`;
      assert.ok(lines.includes(expected), `setup-schema.sh lacks: ${expected}`);
    }
  });

  it('npm run cluster writes a config the server accepts: PostgreSQL persistence, SQL visibility, no password on disk', function () {
    const text = renderServerConfig(cluster);
    assert.ok(!text.includes('temporal:temporal') && /password: \{\{ env /.test(text), 'the password comes from the environment');
    const rendered = renderedClusterConfig();
    if (!rendered) this.skip(); // the server is not built in this checkout (scripts/install-temporal-server.cjs)
    const persistence = rendered!.persistence as {
      numHistoryShards: number;
      defaultStore: string;
      visibilityStore: string;
      datastores: Record<string, { sql?: { pluginName: string; databaseName: string; password: string } }>;
    };
    assert.equal(persistence.numHistoryShards, cluster.shards);
    const main = persistence.datastores[persistence.defaultStore]!.sql!;
    const visibility = persistence.datastores[persistence.visibilityStore]!.sql!;
    assert.deepEqual([main.pluginName, main.databaseName], ['postgres12', cluster.database.name]);
    assert.deepEqual([visibility.pluginName, visibility.databaseName], ['postgres12', cluster.database.visibilityName]);
    // render-config masks the password; that it rendered at all shows a quote or backslash in one survives.
    const services = rendered!.services as Record<string, { rpc: { grpcPort: number } }>;
    assert.deepEqual(Object.keys(services).sort(), ['frontend', 'history', 'matching', 'worker']);
    assert.equal(services.frontend!.rpc.grpcPort, Number(cluster.frontendAddress.split(':')[1]));
  });
});
