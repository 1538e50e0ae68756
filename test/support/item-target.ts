import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One delivery as the target saw it. */
export interface Delivery {
  at: number;
  idempotencyKey: string;
  body: unknown;
  status: number;
}

/** Decides each delivery's status from the item (the parsed body) and how many calls came before it. */
export type Decide = (body: unknown, callsSoFar: number) => number;

/** A local endpoint for `http-deliver` batches: answers each item as `decide` says and records every call. */
export interface ItemTarget {
  url: string;
  deliveries: Delivery[];
  /** Items taken (2xx) by idempotency key: how many times each. */
  accepted(): Map<string, number>;
  setDecide(decide: Decide): void;
  close(): Promise<void>;
}

export async function startItemTarget(decide: Decide = () => 200): Promise<ItemTarget> {
  let current = decide;
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        body = undefined;
      }
      const status = current(body, deliveries.length);
      deliveries.push({ at: Date.now(), idempotencyKey: String(req.headers['idempotency-key'] ?? ''), body, status });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : `refused with ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/items`,
    deliveries,
    accepted() {
      const counts = new Map<string, number>();
      for (const d of deliveries) if (d.status < 300) counts.set(d.idempotencyKey, (counts.get(d.idempotencyKey) ?? 0) + 1);
      return counts;
    },
    setDecide(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
