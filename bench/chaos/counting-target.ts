import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A non-idempotent HTTP endpoint that counts the calls it gets by Idempotency-Key (which Jobline's http job
 * forwards as the caller set it): more than one call for a key is a duplicate side effect, which
 * at-least-once delivery allows and the chaos report counts separately.
 */
export interface CountingTarget {
  url: string;
  calls: Map<string, number>;
  close(): Promise<void>;
}

export async function startCountingTarget(delayMs: () => number): Promise<CountingTarget> {
  const calls = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      if (typeof key === 'string') calls.set(key, (calls.get(key) ?? 0) + 1);
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'), delayMs());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
