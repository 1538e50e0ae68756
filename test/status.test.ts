import assert from 'node:assert/strict';
import {
  COARSE_STATUSES,
  deriveStatus,
  initialCoarseStatus,
  initialStatus,
  JOB_STATUSES,
  LIVE_STATUSES,
  statusClause,
  type CoarseJobStatus,
  type PendingAttemptState,
  type WorkflowStatusName,
} from '../src/jobs/status';

/** What visibility holds about a job: its execution status as the query language spells it, and JobStatus. */
interface VisibilityRecord {
  ExecutionStatus: string;
  JobStatus: CoarseJobStatus | undefined;
}

/**
 * Evaluates the small query grammar statusClause writes: `Field = 'value'`, AND, OR and parentheses. Any
 * other shape throws, so a clause the evaluator cannot read fails the test instead of passing it.
 */
function matches(clause: string, record: VisibilityRecord): boolean {
  const tokens = clause.match(/\(|\)|AND|OR|[A-Za-z]+ = '[^']*'/g) ?? [];
  assert.equal(tokens.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')'), clause.replace(/\s+/g, ' '), `unreadable clause: ${clause}`);
  let at = 0;
  const expression = (): boolean => {
    let value = term();
    while (tokens[at] === 'OR') {
      at += 1;
      value = term() || value;
    }
    return value;
  };
  const term = (): boolean => {
    let value = factor();
    while (tokens[at] === 'AND') {
      at += 1;
      value = factor() && value;
    }
    return value;
  };
  const factor = (): boolean => {
    const token = tokens[at++];
    if (token === '(') {
      const value = expression();
      assert.equal(tokens[at++], ')');
      return value;
    }
    const [, field, value] = /^([A-Za-z]+) = '([^']*)'$/.exec(token ?? '') ?? [];
    assert.ok(field === 'JobStatus' || field === 'ExecutionStatus', `unknown field in ${clause}`);
    return record[field as keyof VisibilityRecord] === value;
  };
  const result = expression();
  assert.equal(at, tokens.length, `trailing tokens in ${clause}`);
  return result;
}

/** The visibility query language's name for each execution status. */
const EXECUTION_STATUS: Record<Exclude<WorkflowStatusName, 'UNSPECIFIED' | 'UNKNOWN' | 'PAUSED'>, string> = {
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Canceled',
  TERMINATED: 'Terminated',
  CONTINUED_AS_NEW: 'ContinuedAsNew',
  TIMED_OUT: 'TimedOut',
};

const PENDING: Array<PendingAttemptState | undefined> = [
  undefined,
  { state: 'scheduled', attempt: 1 },
  { state: 'scheduled', attempt: 3 },
  { state: 'started', attempt: 1 },
  { state: 'started', attempt: 2 },
  { state: 'cancel_requested', attempt: 1 },
];

describe('job status (one module: vocabulary, derivation, visibility clause)', () => {
  /**
   * The states a Jobline job can be in: an open run holds a non-terminal JobStatus (the lifecycle writes a
   * terminal one in the workflow task that closes the run), a closed run the one it closed with, and an
   * operator may terminate a run in any state. A completed run of lifecycle revision 2 keeps its last live
   * JobStatus (`active`; visibility's ExecutionStatus says it completed). Jobline sets no workflow execution
   * timeout (TIMED_OUT).
   */
  const REACHABLE: Array<[WorkflowStatusName, CoarseJobStatus[]]> = [
    ['RUNNING', ['waiting', 'scheduled', 'active', 'dead_lettered']],
    ['COMPLETED', ['completed', 'active']],
    ['FAILED', ['failed', 'timed_out']],
    ['CANCELLED', ['cancelled']],
    ['TERMINATED', [...COARSE_STATUSES]],
  ];

  it('every derivation is found by the visibility clause of the status it derives', () => {
    let cases = 0;
    for (const [workflowStatus, coarseStatuses] of REACHABLE) {
      const executionStatus = EXECUTION_STATUS[workflowStatus as keyof typeof EXECUTION_STATUS];
      for (const coarse of coarseStatuses) {
        for (const pending of workflowStatus === 'RUNNING' ? PENDING : [undefined]) {
          for (const composite of [false, true]) {
            const status = deriveStatus(workflowStatus, coarse, pending, composite);
            const record = { ExecutionStatus: executionStatus, JobStatus: coarse };
            assert.ok(
              matches(statusClause(status), record),
              `${workflowStatus}/${coarse}/${JSON.stringify(pending)}/${composite} derives ${status}, which ${statusClause(status)} misses`,
            );
            cases += 1;
          }
        }
      }
    }
    assert.equal(cases, (4 * PENDING.length + 2 + 2 + 1 + COARSE_STATUSES.length) * 2);
  });

  it('a clause finds only what derives to its status (the live statuses share one, told apart by the pending attempt)', () => {
    const table: Array<[WorkflowStatusName, CoarseJobStatus, PendingAttemptState | undefined, string]> = [
      ['RUNNING', 'active', undefined, 'queued'],
      ['RUNNING', 'active', { state: 'started', attempt: 1 }, 'running'],
      ['RUNNING', 'active', { state: 'scheduled', attempt: 2 }, 'retrying'],
      ['RUNNING', 'waiting', undefined, 'waiting'],
      ['RUNNING', 'scheduled', undefined, 'scheduled'],
      ['RUNNING', 'dead_lettered', undefined, 'dead_lettered'],
      ['COMPLETED', 'completed', undefined, 'completed'],
      ['COMPLETED', 'active', undefined, 'completed'],
      ['FAILED', 'failed', undefined, 'failed'],
      ['FAILED', 'timed_out', undefined, 'timed_out'],
      ['CANCELLED', 'cancelled', undefined, 'cancelled'],
      ['TERMINATED', 'active', undefined, 'failed'],
    ];
    for (const [workflowStatus, coarse, pending, expected] of table) {
      assert.equal(deriveStatus(workflowStatus, coarse, pending), expected);
      const record = { ExecutionStatus: EXECUTION_STATUS[workflowStatus as keyof typeof EXECUTION_STATUS], JobStatus: coarse };
      for (const other of JOB_STATUSES) {
        const shared = LIVE_STATUSES.has(other) && LIVE_STATUSES.has(expected as (typeof JOB_STATUSES)[number]);
        if (other === expected || shared) continue;
        assert.ok(!matches(statusClause(other), record), `${statusClause(other)} also finds a ${expected} job`);
      }
    }
  });

  it('a job starts waiting for its dependencies, then scheduled for runAt, else queued', () => {
    assert.equal(initialCoarseStatus({ dependsOn: ['a'], runAt: '2030-01-01T00:00:00Z' }), 'waiting');
    assert.equal(initialCoarseStatus({ dependsOn: [], runAt: '2030-01-01T00:00:00Z' }), 'scheduled');
    assert.equal(initialCoarseStatus({}), 'active');
    assert.equal(initialStatus({}), 'queued');
    assert.equal(initialStatus({ dependsOn: ['a'] }), 'waiting');
  });
});
