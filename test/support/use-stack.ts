import { startStack, type Stack, type StackOptions } from './stack';
import { startTarget, type Reply, type Target } from './target';

/**
 * Registers a suite's hooks: one stack (worker + API on its own task queue) for the suite, and local HTTP
 * targets that close with it.
 */
export function useStack(options?: StackOptions) {
  let current: Stack | undefined;
  const targets: Target[] = [];
  before(async () => {
    current = await startStack(options);
  });
  after(async () => {
    await current?.stop();
    await Promise.all(targets.map((target) => target.close()));
  });
  return {
    get stack(): Stack {
      if (!current) throw new Error('the stack starts in the suite’s before hook');
      return current;
    },
    async target(replies: Array<Reply | number>): Promise<Target> {
      const target = await startTarget(replies);
      targets.push(target);
      return target;
    },
  };
}
