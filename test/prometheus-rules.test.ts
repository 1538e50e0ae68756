import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const DIR = path.resolve(__dirname, '..', 'deploy', 'prometheus');

/** `.ci/run` installs Debian's prometheus package (it ships promtool); a developer without it sees why this skips. */
const describeWithPromtool = existsSync(PROMTOOL) || process.env.CI ? describe : describe.skip;

describe('Prometheus alert rules: coverage', () => {
  it('every alert rule has a promtool unit test that expects it to fire', () => {
    type Rules = { groups: Array<{ rules: Array<{ alert?: string }> }> };
    type Tests = { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
    const rules = parse(readFileSync(path.join(DIR, 'rules', 'jobline-alerts.yml'), 'utf8')) as Rules;
    const tests = parse(readFileSync(path.join(DIR, 'tests', 'jobline-alerts.test.yml'), 'utf8')) as Tests;
    const alerts = rules.groups.flatMap((group) => group.rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])));
    const firing = new Set(
      tests.tests.flatMap((test) => (test.alert_rule_test ?? []).filter((t) => t.exp_alerts.length > 0).map((t) => t.alertname)),
    );
    assert.ok(alerts.length >= 6, `${alerts.length} alerts`);
    assert.deepEqual(
      alerts.filter((alert) => !firing.has(alert)),
      [],
    );
  });
});

describeWithPromtool('Prometheus alert rules (promtool, from Debian’s prometheus package)', () => {
  it('the rule files and the scrape config are valid', async () => {
    const rules = await run(PROMTOOL, ['check', 'rules', 'rules/jobline-alerts.yml'], { cwd: DIR });
    assert.match(rules.stdout, /SUCCESS: \d+ rules found/);
    const config = await run(PROMTOOL, ['check', 'config', 'prometheus.yml'], { cwd: DIR });
    assert.match(config.stdout, /SUCCESS/);
  });

  it('every alert fires on the series that should fire it, and only on those (promtool test rules)', async () => {
    const result = await run(PROMTOOL, ['test', 'rules', 'tests/jobline-alerts.test.yml'], { cwd: DIR });
    assert.match(result.stdout, /SUCCESS/);
    assert.doesNotMatch(result.stdout + result.stderr, /FAILED/);
  });
});
