import { liveStacks, stopAllStacks } from '../support/stack';
import { startTestEnv, stopTestEnv } from '../support/temporal-env';

/** One real Temporal dev server for the whole run; a suite that leaks a worker fails the run. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    await startTestEnv();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    const leaked = liveStacks();
    await stopAllStacks();
    await stopTestEnv();
    if (leaked.length > 0) throw new Error(`tests leaked running workers on task queues: ${leaked.join(', ')}`);
  },
};
