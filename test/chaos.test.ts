import assert from 'node:assert/strict';
import { runChaos, type ChaosReport } from '../bench/chaos/run';
import { formatReport } from '../bench/chaos/table';
import { loadConfig } from '../src/config';
import { testEnv, testTemporal } from './support/temporal-env';

const onCluster = testTemporal() === 'cluster';
const title = onCluster
  ? 'chaos, short mode: workers SIGKILLed every 4 s, the API crashed once [the Temporal restart is skipped on the cluster: its servers are not this run’s to kill]'
  : 'chaos, short mode: workers SIGKILLed every 4 s, the API and the Temporal server crashed once each';

describe(title, function () {
  this.timeout(180_000);
  let report: ChaosReport;

  before(async () => {
    report = await runChaos({
      durationMs: 30_000,
      killEveryMs: 4_000,
      workers: 2,
      rate: 3,
      restartApi: true,
      restartServer: !onCluster,
      // The dev pass crashes a dev server of the run's own (on its database file); the cluster pass uses the suite's.
      server: onCluster ? { address: testEnv().server.address, namespace: testEnv().namespace } : undefined,
      cliPath: testEnv().cliPath,
      databaseUrl: loadConfig().reports.databaseUrl,
      batchItems: 100,
      reportRows: 5_000,
      settleTimeoutMs: 90_000,
    });
    if (process.env.JOBLINE_TEST_REPORT) process.stdout.write(`${formatReport(report, title)}\n`);
  });

  it('the faults happened: kills, an API restart, a server restart', () => {
    assert.ok(report.kills >= 4, `${report.kills} kills`);
    assert.ok(report.workerRestarts >= report.kills, `${report.workerRestarts} restarts for ${report.kills} kills`);
    assert.equal(report.apiRestarts, 1);
    assert.equal(report.serverRestarts, onCluster ? 0 : 1);
    assert.ok(report.accepted >= 60, `${report.accepted} jobs accepted`);
    for (const [kind, figures] of Object.entries(report.byKind)) assert.ok(figures.accepted > 0, `no ${kind} job in the mix`);
  });

  it('every accepted job ended: 0 lost, and every submission was accepted in the end', () => {
    assert.deepEqual(report.refused, []);
    assert.equal(report.lost, 0, `lost: ${report.lostIds.join(', ')}`);
    assert.equal(report.terminal, report.accepted);
  });

  it('every job completed; every completed http job reached its target (duplicates are counted, not failed)', () => {
    for (const [kind, figures] of Object.entries(report.byKind))
      assert.equal(figures.completed, figures.accepted, `${kind}: ${JSON.stringify(figures)}`);
    assert.equal(report.http.missing, 0);
    assert.ok(report.http.calls >= report.http.keys);
    assert.equal(report.http.calls - report.http.keys, report.http.duplicates);
  });

  it('every batch key is in the table exactly once', () => {
    assert.ok(report.batch.expectedKeys > 0);
    assert.equal(report.batch.missingKeys, 0);
    assert.equal(report.batch.rows, report.batch.expectedKeys);
    assert.equal(report.batch.distinctKeys, report.batch.expectedKeys);
  });
});
