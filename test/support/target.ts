import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer: a status, optional headers and body, optional delay before answering. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface Call {
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP endpoint that plays its replies in order (the last one repeats) and records every call. */
export interface Target {
  url: string;
  calls: Call[];
  close(): Promise<void>;
}

export async function startTarget(replies: Array<Reply | number>): Promise<Target> {
  const script = replies.map((reply) => (typeof reply === 'number' ? { status: reply } : reply));
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = script[Math.min(calls.length, script.length - 1)] ?? { status: 200 };
      calls.push({
        at: Date.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const answer = () => {
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        res.end(reply.body ?? `reply ${calls.length}`);
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
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
