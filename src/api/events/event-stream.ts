import type { Response } from 'express';
import { formatEventId } from './event-id';
import type { LiveEvent } from './status-timeline';

/** How long an EventSource waits before it reconnects (with `Last-Event-ID`) after the stream dropped. */
const RECONNECT_MS = 1_000;

/** A `text/event-stream` response: one frame per event, and a comment line while idle so proxies keep it open. */
export class EventStream {
  private readonly keepAlive: NodeJS.Timeout;
  private open = true;

  constructor(
    private readonly res: Response,
    keepAliveMs: number,
  ) {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx buffers responses unless told not to; an event stream must flow as it is written.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`retry: ${RECONNECT_MS}\n\n`);
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), keepAliveMs);
    this.keepAlive.unref();
    res.once('close', () => this.stop());
  }

  send(event: LiveEvent): void {
    this.write(`id: ${formatEventId(event.key)}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }

  end(): void {
    if (!this.open) return;
    this.stop();
    this.res.end();
  }

  private write(frame: string): void {
    if (this.open) this.res.write(frame);
  }

  private stop(): void {
    this.open = false;
    clearInterval(this.keepAlive);
  }
}
