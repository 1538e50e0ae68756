/** A watcher whose attempt in flight is read by describe: whether it needs a read now, and the read. */
export interface Pollable {
  wantsPoll(): boolean;
  poll(): Promise<void>;
}

/**
 * The describes of all watchers in this API process share one budget (JOBLINE_SSE_DESCRIBES_PER_SEC), taken
 * round-robin, each watcher at most once per `minIntervalMs`: 20 watched jobs are read every second, 200
 * every ten. What the history says (queued, dead-lettered, the end) never waits for it; only running,
 * retrying and progress do. The timer runs only while there are watchers.
 */
export class PollBudget {
  private readonly members: Array<{ pollable: Pollable; lastAt: number }> = [];
  private cursor = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly minIntervalMs: number,
  ) {}

  add(pollable: Pollable): void {
    this.members.push({ pollable, lastAt: Date.now() });
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), 1000 / this.perSecond);
      this.timer.unref();
    }
  }

  remove(pollable: Pollable): void {
    const index = this.members.findIndex((member) => member.pollable === pollable);
    if (index >= 0) this.members.splice(index, 1);
    if (this.members.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    // A slow server must not pile reads up: at most a second's worth in flight.
    if (this.inFlight >= this.perSecond) return;
    const now = Date.now();
    const count = this.members.length;
    for (let i = 0; i < count; i += 1) {
      const member = this.members[(this.cursor + i) % count]!;
      if (now - member.lastAt < this.minIntervalMs || !member.pollable.wantsPoll()) continue;
      this.cursor = (this.cursor + i + 1) % count;
      member.lastAt = now;
      this.inFlight += 1;
      void member.pollable.poll().finally(() => (this.inFlight -= 1));
      return;
    }
  }
}
