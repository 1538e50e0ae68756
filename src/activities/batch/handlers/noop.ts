import type { ItemHandler } from '../handler';

export function createNoopHandler(): ItemHandler {
  return {
    sliceSize: Number.MAX_SAFE_INTEGER,
    handle: async (items) => items.map(() => undefined),
  };
}
