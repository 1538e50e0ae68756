import { setMaxListeners } from 'node:events';
import type { NextFunction, Request, Response } from 'express';
import type { ConnectionLike } from '@temporalio/client';
import { HttpProblem, sendProblem } from './problem';

/** While Temporal is known to be down, a request's calls wait at most this long; so does a probe. */
export const DOWN_DEADLINE_MS = 1_000;
/** A request still waiting on Temporal after this long makes the API check whether Temporal is there at all. */
const SLOW_REQUEST_MS = 500;
/** While down, how often a request may set off a probe. */
const PROBE_EVERY_MS = 1_000;

/**
 * What the API last saw of Temporal, shared by every request.
 *
 * Without a deadline the SDK retries an unreachable server for ~20 s before giving up. So every request
 * runs its Temporal calls under a deadline (JOBLINE_TEMPORAL_DEADLINE_MS), and a request that has waited
 * more than half a second, or whose call failed with UNAVAILABLE or DEADLINE_EXCEEDED, sets off a probe
 * (`describeNamespace`, 1 s deadline). When the probe fails so, Temporal is *down*: the requests waiting on it are
 * answered 503 at once, new ones get a 1 s deadline and set off a probe (at most one a
 * second) until one succeeds, or `/readyz` does, which makes it *up* again.
 *
 * A cancelled start may still have reached the server: clients retry with the same Idempotency-Key.
 */
export class TemporalHealth {
  private downSince: number | undefined;
  /** Aborted when Temporal goes down; every request in flight listens to the current one. */
  private outage = outageController();
  private probing: Promise<boolean> | undefined;
  private lastProbeAt = 0;

  constructor(
    private readonly connection: ConnectionLike,
    private readonly namespace: string,
    private readonly deadlineMs: number,
  ) {}

  get isDown(): boolean {
    return this.downSince !== undefined;
  }

  /** The deadline for a call starting now. */
  deadline(): number {
    return Date.now() + (this.isDown ? Math.min(DOWN_DEADLINE_MS, this.deadlineMs) : this.deadlineMs);
  }

  markDown(): void {
    if (this.isDown) return;
    this.downSince = Date.now();
    const outage = this.outage;
    this.outage = outageController();
    outage.abort();
  }

  markUp(): void {
    this.downSince = undefined;
  }

  /** Asks Temporal for our namespace (one probe at a time); resolves true when it answered. */
  probe(): Promise<boolean> {
    if (!this.probing) this.lastProbeAt = Date.now();
    this.probing ??= this.check(DOWN_DEADLINE_MS)
      .then(
        () => true,
        () => false,
      )
      .finally(() => (this.probing = undefined));
    return this.probing;
  }

  /** One `describeNamespace` under `deadlineMs`; records the outcome and rejects with the error (`/readyz`). */
  async check(deadlineMs: number): Promise<void> {
    try {
      await this.connection.withDeadline(Date.now() + deadlineMs, () =>
        this.connection.workflowService.describeNamespace({ namespace: this.namespace }),
      );
      this.markUp();
    } catch (err) {
      if (isUnavailable(err)) this.markDown();
      throw err;
    }
  }

  /**
   * Middleware: the rest of the request runs in the scope of a deadline (the SDK keeps it in an
   * AsyncLocalStorage, so every call a handler makes inherits it). If Temporal goes down meanwhile, the
   * request answers 503 at once; its call runs out its deadline unheard (cancelling it is not reliable
   * while the SDK waits between retries).
   */
  requestScope() {
    return (_req: Request, res: Response, next: NextFunction): void => {
      // While down, requests are what makes us look again (at most once a second): no background loop to outlive the app.
      if (this.isDown && Date.now() - this.lastProbeAt >= PROBE_EVERY_MS) void this.probe();
      const signal = this.outage.signal;
      const onOutage = () => {
        if (res.headersSent) return;
        res.locals.answeredByOutage = true;
        sendProblem(res, unavailable().toProblem());
      };
      signal.addEventListener('abort', onOutage, { once: true });
      const slow = setTimeout(() => void this.probe(), SLOW_REQUEST_MS);
      slow.unref();
      const done = () => {
        clearTimeout(slow);
        signal.removeEventListener('abort', onOutage);
      };
      res.once('close', done);
      res.once('finish', done);
      void this.connection.withDeadline(this.deadline(), async () => next());
    };
  }

  /**
   * Error middleware, just before the problem handler: a failed call sets off a probe; a request already
   * answered with 503 drops what its handler did afterwards.
   */
  observeErrors() {
    return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
      // A call can run out of its own deadline for other reasons (a query with no worker): the probe judges.
      if (isUnavailable(err)) void this.probe();
      if (res.locals.answeredByOutage === true) return;
      next(err);
    };
  }
}

function unavailable(): HttpProblem {
  return new HttpProblem(503, 'temporal-unavailable', 'the Temporal server is unreachable; try again');
}

/** Aborted on an outage; one listener per request in flight, removed when it ends. */
function outageController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;
/** gRPC UNAVAILABLE or DEADLINE_EXCEEDED from the Temporal connection, possibly as a cause. */
export function isUnavailable(err: unknown): boolean {
  return hasGrpcCode(err, UNAVAILABLE) || hasGrpcCode(err, DEADLINE_EXCEEDED);
}

function hasGrpcCode(err: unknown, code: number): boolean {
  for (let current = err, depth = 0; current && depth < 10; current = (current as { cause?: unknown }).cause, depth++) {
    if ((current as { code?: unknown }).code === code) return true;
  }
  return false;
}
