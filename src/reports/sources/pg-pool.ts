import { Pool } from 'pg';

/**
 * One pool per worker, created on first use: workers that never run a PostgreSQL report never connect.
 * `allowExitOnIdle` lets a stopping worker process exit without closing the pool first.
 */
export function lazyPool(connectionString: string): () => Pool {
  let pool: Pool | undefined;
  return () => {
    pool ??= new Pool({ connectionString, max: 4, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
    return pool;
  };
}
