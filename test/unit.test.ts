import assert from 'node:assert/strict';
import { jitteredDelayMs } from '../src/jobs/backoff';
import { parseRetryAfter } from '../src/activities/http';
import { createActivities } from '../src/activities';
import { isPrivateAddress } from '../src/activities/network-guard';
import { JOB_TYPES } from '../src/jobs';
import { BatchJobInput, defaultChunkSize } from '../src/jobs/batch';
import { loadConfig } from '../src/config';
import { activityDeps } from '../src/worker';

describe('backoff with jitter', () => {
  const retry = { initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 10_000, jitter: 0.2 };

  it('grows exponentially and stays within [1 - jitter, 1] of the curve', () => {
    assert.equal(
      jitteredDelayMs(retry, 1, () => 0),
      1_000,
    );
    assert.equal(
      jitteredDelayMs(retry, 3, () => 0),
      4_000,
    );
    assert.equal(
      jitteredDelayMs(retry, 3, () => 0.999_999),
      3_200,
    );
  });

  it('is capped by maxIntervalMs', () => {
    assert.equal(
      jitteredDelayMs(retry, 20, () => 0),
      10_000,
    );
  });

  it('spreads delays when jitter is on, and not when it is off', () => {
    const spread = new Set(Array.from({ length: 20 }, () => jitteredDelayMs(retry, 2)));
    assert.ok(spread.size > 5);
    const fixed = new Set(Array.from({ length: 20 }, () => jitteredDelayMs({ ...retry, jitter: 0 }, 2)));
    assert.deepEqual([...fixed], [2_000]);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, and ignores nonsense', () => {
    assert.equal(parseRetryAfter('3'), 3_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter('-4'), undefined);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter('999999'), 60 * 60_000);
  });
});

describe('private address guard', () => {
  it('blocks loopback, private, link-local and mapped addresses', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
    ]) {
      assert.equal(isPrivateAddress(address), true, address);
    }
  });

  it('lets public addresses through', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '172.32.0.1']) {
      assert.equal(isPrivateAddress(address), false, address);
    }
  });
});

describe('job type registry', () => {
  it('every job type names an activity the worker registers, and has a unique name', () => {
    const activities: Record<string, unknown> = createActivities(activityDeps(loadConfig({})));
    for (const jobType of JOB_TYPES) {
      if (jobType.workflow) continue;
      assert.equal(typeof activities[jobType.activity ?? ''], 'function', `${jobType.type} → ${jobType.activity}`);
    }
    assert.equal(new Set(JOB_TYPES.map((t) => t.type)).size, JOB_TYPES.length);
  });
});

describe('batch chunk size by default', () => {
  const plan = (input: object) => BatchJobInput.parse({ handler: 'noop', ...input });

  it('cuts inline items into about two chunks per slot, between 100 and 1,000 items', () => {
    assert.equal(plan({ items: new Array(1_000).fill(1) }).chunkSize, 125);
    assert.equal(plan({ items: new Array(1_000).fill(1), concurrency: 1 }).chunkSize, 500);
    assert.equal(plan({ items: new Array(30).fill(1) }).chunkSize, 100);
    assert.equal(defaultChunkSize(1_000_000, 2), 1_000);
  });

  it('gives a source, whose size is unknown at submission, 500; an explicit chunkSize stays', () => {
    assert.equal(plan({ source: { type: 'ndjson', path: 'a.ndjson' } }).chunkSize, 500);
    assert.equal(plan({ source: { type: 'ndjson', path: 'a.ndjson' }, chunkSize: 100 }).chunkSize, 100);
    assert.equal(plan({ items: [1, 2, 3], chunkSize: 1 }).chunkSize, 1);
    assert.equal(plan({ items: [1] }).concurrency, 4);
  });
});
