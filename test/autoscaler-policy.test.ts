import assert from 'node:assert/strict';
import { decide, type Backlog, type Direction, type ScalingState, type ScalingTuning } from '../src/autoscaler/policy';
import { EVERY_CLASS, taskQueueForClass, workerCommand } from '../src/autoscaler/worker-classes';

const tuning: ScalingTuning = {
  targetBacklogPerWorker: 10,
  maxBacklogAgeMs: 30_000,
  hysteresis: 0.5,
  cooldownMs: 60_000,
  upCooldownMs: 15_000,
};
const limits = { min: 1, max: 4 };
const NOW = 1_000_000;

interface Row {
  title: string;
  backlog: Backlog;
  state: ScalingState;
  limits?: { min: number; max: number };
  expect: { direction: Direction; desired: number; lowSince?: number | 'unset'; reason: RegExp };
}

const rows: Row[] = [
  {
    title: 'an idle class at its minimum holds',
    backlog: { backlog: 0, oldestAgeSeconds: 0 },
    state: { desired: 1 },
    expect: { direction: 'hold', desired: 1, reason: /minimum/ },
  },
  {
    title: 'a backlog within one worker’s share holds',
    backlog: { backlog: 10, oldestAgeSeconds: 1 },
    state: { desired: 1 },
    expect: { direction: 'hold', desired: 1, reason: /minimum/ },
  },
  {
    title: 'a deep backlog scales up at once to backlog / target',
    backlog: { backlog: 31, oldestAgeSeconds: 2 },
    state: { desired: 1 },
    expect: { direction: 'up', desired: 4, reason: /backlog 31 > 1 × 10/ },
  },
  {
    title: 'never above max',
    backlog: { backlog: 500, oldestAgeSeconds: 2 },
    state: { desired: 2 },
    expect: { direction: 'up', desired: 4, reason: /backlog 500/ },
  },
  {
    title: 'a short backlog that is old asks for one more',
    backlog: { backlog: 3, oldestAgeSeconds: 45 },
    state: { desired: 2, lastChangeAt: NOW - 100_000 },
    expect: { direction: 'up', desired: 3, reason: /oldest task 45 s old > 30 s/ },
  },
  {
    title: 'no second scale-up within the up-cooldown',
    backlog: { backlog: 40, oldestAgeSeconds: 2 },
    state: { desired: 2, lastChangeAt: NOW - 5_000 },
    expect: { direction: 'hold', desired: 2, reason: /last change was 5\.0 s ago/ },
  },
  {
    title: 'a scale-up after the up-cooldown',
    backlog: { backlog: 40, oldestAgeSeconds: 2 },
    state: { desired: 2, lastChangeAt: NOW - 15_000 },
    expect: { direction: 'up', desired: 4, reason: /backlog 40 > 2 × 10/ },
  },
  {
    title: 'a low backlog starts the low clock, no change yet',
    backlog: { backlog: 0, oldestAgeSeconds: 0 },
    state: { desired: 3, lastChangeAt: NOW - 120_000 },
    expect: { direction: 'hold', desired: 3, lowSince: NOW, reason: /low for 0\.0 s/ },
  },
  {
    title: 'low for the cooldown: one worker fewer',
    backlog: { backlog: 2, oldestAgeSeconds: 1 },
    state: { desired: 3, lastChangeAt: NOW - 120_000, lowSince: NOW - 60_000 },
    expect: { direction: 'down', desired: 2, lowSince: 'unset', reason: /low for 60 s/ },
  },
  {
    title: 'low, but the last change is too recent',
    backlog: { backlog: 0, oldestAgeSeconds: 0 },
    state: { desired: 3, lastChangeAt: NOW - 10_000, lowSince: NOW - 70_000 },
    expect: { direction: 'hold', desired: 3, reason: /cooldown/ },
  },
  // Hysteresis: 3 → 2 workers needs backlog ≤ 2 × 10 × 0.5 = 10, though 2 workers "fit" 20.
  {
    title: 'inside the hysteresis band holds and resets the low clock',
    backlog: { backlog: 15, oldestAgeSeconds: 1 },
    state: { desired: 3, lastChangeAt: NOW - 120_000, lowSince: NOW - 50_000 },
    expect: { direction: 'hold', desired: 3, lowSince: 'unset', reason: /does not fit 2 workers/ },
  },
  {
    title: 'an aged backlog never scales down',
    backlog: { backlog: 1, oldestAgeSeconds: 40 },
    state: { desired: 4, lastChangeAt: NOW - 120_000, lowSince: NOW - 90_000 },
    expect: { direction: 'hold', desired: 4, reason: /does not fit/ },
  },
  {
    title: 'a class with min 0 drains to zero',
    limits: { min: 0, max: 2 },
    backlog: { backlog: 0, oldestAgeSeconds: 0 },
    state: { desired: 1, lastChangeAt: NOW - 120_000, lowSince: NOW - 60_000 },
    expect: { direction: 'down', desired: 0, reason: /≤ 0\.0 for 0 workers/ },
  },
  {
    title: 'a class with min 0 wakes on one task',
    limits: { min: 0, max: 2 },
    backlog: { backlog: 1, oldestAgeSeconds: 0 },
    state: { desired: 0 },
    expect: { direction: 'up', desired: 1, reason: /backlog 1 > 0 × 10/ },
  },
  {
    title: 'a count below min (limits changed) is corrected',
    limits: { min: 2, max: 4 },
    backlog: { backlog: 0, oldestAgeSeconds: 0 },
    state: { desired: 1 },
    expect: { direction: 'up', desired: 2, reason: /outside the limits/ },
  },
];

describe('autoscaler policy (a pure function: limits, tuning, backlog, state → decision)', () => {
  for (const row of rows) {
    it(row.title, () => {
      const decision = decide(row.limits ?? limits, tuning, row.backlog, row.state, NOW);
      assert.equal(decision.direction, row.expect.direction, decision.reason);
      assert.equal(decision.desired, row.expect.desired, decision.reason);
      assert.equal(decision.state.desired, decision.desired);
      assert.match(decision.reason, row.expect.reason);
      if (decision.direction !== 'hold') assert.equal(decision.state.lastChangeAt, NOW);
      if (row.expect.lowSince === 'unset') assert.equal(decision.state.lowSince, undefined);
      else if (row.expect.lowSince !== undefined) assert.equal(decision.state.lowSince, row.expect.lowSince);
    });
  }

  it('a backlog that stays low scales one worker at a time, a cooldown apart', () => {
    let state: ScalingState = { desired: 4, lastChangeAt: 0 };
    const downs: number[] = [];
    for (let now = 60_000; now <= 400_000; now += 2_000) {
      const decision = decide(limits, tuning, { backlog: 0, oldestAgeSeconds: 0 }, state, now);
      if (decision.direction === 'down') downs.push(now);
      state = decision.state;
    }
    assert.equal(state.desired, 1);
    assert.equal(downs.length, 3);
    for (let i = 1; i < downs.length; i += 1) assert.ok(downs[i]! - downs[i - 1]! >= tuning.cooldownMs);
  });
});

describe('worker classes (the adapter to the worker-pools interface)', () => {
  it('the default class is the main queue; another is <main>-<class>', () => {
    assert.equal(taskQueueForClass('jobline', 'default'), 'jobline');
    assert.equal(taskQueueForClass('jobline', 'reports'), 'jobline-reports');
  });
  it('a worker for a class is src/worker.ts under Node, with --queues and JOBLINE_WORKER_QUEUES', () => {
    const reports = workerCommand(['reports', 'cpu']);
    assert.equal(reports.command, process.execPath);
    assert.ok(reports.args.some((arg) => arg.endsWith('src/worker.ts')));
    assert.deepEqual(reports.args.slice(-2), ['--queues', 'reports,cpu']);
    assert.deepEqual(reports.env, { JOBLINE_WORKER_QUEUES: 'reports,cpu' });
    assert.deepEqual(workerCommand(['default']).args.slice(-2), ['--queues', 'default']);
    // Every class: neither the flag nor the variable, as `npm run worker` alone.
    const every = workerCommand(EVERY_CLASS);
    assert.ok(!every.args.includes('--queues'));
    assert.deepEqual(every.env, {});
  });
});
