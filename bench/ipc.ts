/** Messages between the bench and the processes it forks (workers and the API). */

/** [job id, Date.now() when its activity or processor began] */
export type StartEntry = [string, number];

export type ToChild = { type: 'collect-starts' } | { type: 'count-starts' } | { type: 'stop' };

export type FromChild =
  | { type: 'ready'; url?: string }
  | { type: 'starts'; entries: StartEntry[] }
  | { type: 'start-count'; count: number }
  | { type: 'fatal'; message: string };

/** Records when each job's work began, first attempt only, until the bench collects the entries. */
export class StartClock {
  private starts = new Map<string, number>();

  note(id: string): void {
    if (!this.starts.has(id)) this.starts.set(id, Date.now());
  }

  get size(): number {
    return this.starts.size;
  }

  drain(): StartEntry[] {
    const entries = [...this.starts];
    this.starts = new Map();
    return entries;
  }
}

export function send(message: FromChild): void {
  process.send?.(message);
}

/**
 * Wires a forked process to the bench: answers `collect-starts`, runs `stop` once on `stop`, SIGINT,
 * SIGTERM or when the bench goes away, then exits (so that `--cpu-prof` gets written).
 */
export function serveBench(clock: StartClock | undefined, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('message', (message: ToChild) => {
    if (message.type === 'collect-starts') send({ type: 'starts', entries: clock?.drain() ?? [] });
    else if (message.type === 'count-starts') send({ type: 'start-count', count: clock?.size ?? 0 });
    else if (message.type === 'stop') shutdown();
  });
  process.once('disconnect', shutdown);
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

export function failAndExit(err: unknown): never {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`${message}\n`);
  send({ type: 'fatal', message });
  process.exit(1);
}

/** Runs a bench worker until the bench asks it to stop, then drains it and closes its connection. */
export async function runBenchWorker(
  worker: { run(): Promise<void>; shutdown(): void; getState(): string },
  connection: { close(): Promise<void> },
  clock: StartClock,
): Promise<void> {
  const running = worker.run();
  serveBench(clock, async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
  });
  send({ type: 'ready' });
  await running;
}
