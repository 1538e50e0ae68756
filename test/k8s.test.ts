import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_CLASS, taskQueueForClass, WORKER_CLASS_PATTERN, WORKER_QUEUES_ENV } from '../src/autoscaler/worker-classes';
import { EnvSchema, PROJECT_ROOT } from '../src/config';
import { SHUTDOWN_FORCE_EXTRA_MS } from '../src/worker';

const DIR = path.join(PROJECT_ROOT, 'deploy', 'k8s');
/** What a worker's termination grace period must leave beyond the SDK's own grace + force times. */
const MARGIN_MS = 2_000;

// Parsed YAML, checked field by field below (a failed lookup fails the test, as it should).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = { apiVersion?: string; kind?: string; metadata?: { name?: string; labels?: Record<string, string> }; spec?: any; data?: any };

function load(): { file: string; doc: Doc }[] {
  const files = fs.readdirSync(DIR).filter((name) => /\.ya?ml$/.test(name));
  return files.flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8')).map((parsed) => {
      assert.deepEqual(parsed.errors, [], `${file}: ${parsed.errors.map((e) => e.message).join('; ')}`);
      return { file, doc: parsed.toJS() as Doc };
    }),
  );
}

describe('deploy/k8s (Deployments, KEDA ScaledObjects, PodDisruptionBudgets)', () => {
  const docs = load();
  const of = (kind: string) => docs.filter(({ doc }) => doc.kind === kind).map(({ doc }) => doc);
  const config = of('ConfigMap').find((doc) => doc.metadata?.name === 'jobline-config')!.data as Record<string, string>;
  const workers = of('Deployment').filter((doc) => doc.metadata?.labels?.['app.kubernetes.io/component'] === 'worker');
  const classOf = (deployment: Doc): string => {
    const env = (deployment.spec.template.spec.containers[0].env ?? []) as { name: string; value: string }[];
    return env.find((entry) => entry.name === WORKER_QUEUES_ENV)?.value ?? '';
  };

  it('every document parses and has apiVersion, kind and metadata.name; kustomization lists every file', () => {
    for (const { file, doc } of docs) {
      assert.ok(doc.apiVersion && doc.kind, `${file}: apiVersion and kind`);
      if (doc.kind !== 'Kustomization') assert.ok(doc.metadata?.name, `${file}: ${doc.kind} without metadata.name`);
    }
    const kustomization = of('Kustomization')[0] as Doc & { resources: string[] };
    const files = new Set(docs.map(({ file }) => file).filter((file) => file !== 'kustomization.yaml'));
    assert.deepEqual(new Set(kustomization.resources), files);
  });

  it('the ConfigMap holds only variables Jobline reads, with values its schema accepts', () => {
    const known = new Set(Object.keys(EnvSchema.shape));
    for (const name of Object.keys(config)) assert.ok(known.has(name), `${name} is not a Jobline variable`);
    const parsed = EnvSchema.safeParse(config);
    assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  });

  it('an API Deployment with probes, and a worker Deployment per class, the default class among them', () => {
    const api = of('Deployment').find((doc) => doc.metadata?.labels?.['app.kubernetes.io/component'] === 'api');
    assert.ok(api, 'an API Deployment');
    const container = api.spec.template.spec.containers[0];
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    const classes = workers.map(classOf);
    assert.ok(classes.includes(DEFAULT_CLASS), `classes: ${classes.join(', ')}`);
    for (const name of classes) assert.match(name, WORKER_CLASS_PATTERN);
    assert.equal(new Set(classes).size, classes.length, 'one Deployment per class');
    for (const deployment of [api, ...workers]) {
      const labels = deployment.spec.template.metadata.labels as Record<string, string>;
      for (const [key, value] of Object.entries(deployment.spec.selector.matchLabels as Record<string, string>)) {
        assert.equal(labels[key], value, `${deployment.metadata?.name}: the selector matches the pod template`);
      }
      assert.ok(
        deployment.spec.template.spec.containers[0].envFrom.some(
          (from: { configMapRef?: { name: string } }) => from.configMapRef?.name === 'jobline-config',
        ),
      );
    }
  });

  it('a KEDA temporal ScaledObject per worker class, on the task queue the code names for that class', () => {
    const scaled = of('ScaledObject');
    assert.equal(scaled.length, workers.length);
    for (const deployment of workers) {
      const workerClass = classOf(deployment);
      const object = scaled.find((doc) => doc.spec.scaleTargetRef.name === deployment.metadata?.name);
      assert.ok(object, `a ScaledObject for ${deployment.metadata?.name}`);
      assert.equal(object.apiVersion, 'keda.sh/v1alpha1');
      const { minReplicaCount, maxReplicaCount } = object.spec as { minReplicaCount: number; maxReplicaCount: number };
      assert.ok(Number.isInteger(minReplicaCount) && minReplicaCount >= 1 && maxReplicaCount >= minReplicaCount);
      assert.equal(object.spec.triggers.length, 1);
      const [trigger] = object.spec.triggers as { type: string; metadata: Record<string, string> }[];
      assert.equal(trigger!.type, 'temporal');
      const meta = trigger!.metadata;
      assert.equal(meta.taskQueue, taskQueueForClass(config.JOBLINE_TASK_QUEUE!, workerClass), `${workerClass}: task queue`);
      assert.equal(meta.namespace, config.TEMPORAL_NAMESPACE);
      assert.equal(meta.endpoint, config.TEMPORAL_ADDRESS);
      // KEDA reads metadata as strings; a YAML number here is rejected by the CRD.
      for (const key of ['targetQueueSize', 'activationTargetQueueSize']) {
        assert.equal(typeof meta[key], 'string', `${key} is a string`);
        assert.match(meta[key]!, /^\d+$/);
      }
      assert.ok(Number(meta.targetQueueSize) >= 1);
      // Every workflow runs on the default class's queue; the others hold activities only.
      const expected = workerClass === DEFAULT_CLASS ? ['activity', 'workflow'] : ['activity'];
      assert.deepEqual(meta.queueTypes!.split(',').sort(), expected, `${workerClass}: queueTypes`);
    }
  });

  it('terminationGracePeriodSeconds covers the worker’s shutdown grace and force time', () => {
    const graceMs = Number(config.JOBLINE_SHUTDOWN_GRACE_MS);
    for (const deployment of workers) {
      const seconds = deployment.spec.template.spec.terminationGracePeriodSeconds as number;
      const needed = graceMs + SHUTDOWN_FORCE_EXTRA_MS + MARGIN_MS;
      assert.ok(seconds * 1000 >= needed, `${deployment.metadata?.name}: ${seconds} s < ${needed / 1000} s`);
      assert.ok(seconds * 1000 <= needed + 30_000, `${deployment.metadata?.name}: ${seconds} s is far beyond what a drain takes`);
    }
  });

  it('a PodDisruptionBudget for the API and for every worker class, each selecting pods that exist', () => {
    const budgets = of('PodDisruptionBudget');
    for (const deployment of [...of('Deployment')]) {
      const labels = deployment.spec.template.metadata.labels as Record<string, string>;
      const budget = budgets.find((pdb) =>
        Object.entries(pdb.spec.selector.matchLabels as Record<string, string>).every(([key, value]) => labels[key] === value),
      );
      assert.ok(budget, `a PodDisruptionBudget for ${deployment.metadata?.name}`);
      assert.ok(budget.spec.minAvailable !== undefined || budget.spec.maxUnavailable !== undefined);
    }
  });
});
