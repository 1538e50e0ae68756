import type { ChildProcess } from 'node:child_process';

/** One JSON log line of a child process (pino), with whatever fields it had. */
export type LogLine = { msg?: string; time?: string; [field: string]: unknown };

/** The JSON lines a child writes to stdout, collected as they come, and a way to wait for one. */
export class ProcessLog {
  readonly lines: LogLine[] = [];
  private tail = '';
  private rest = '';

  constructor(child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => this.take(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.tail = (this.tail + chunk.toString()).slice(-4_000)));
  }

  /** Lines with this message (and, optionally, more conditions). */
  find(msg: string, where: (line: LogLine) => boolean = () => true): LogLine[] {
    return this.lines.filter((line) => line.msg === msg && where(line));
  }

  async waitFor(msg: string, where: (line: LogLine) => boolean = () => true, timeoutMs = 30_000, count = 1): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.find(msg, where);
      if (found.length >= count) return found[count - 1]!;
      if (Date.now() > deadline)
        throw new Error(`no${count > 1 ? ` ${count}×` : ''} "${msg}" log line within ${timeoutMs} ms\n${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  describe(): string {
    const last = this.lines.slice(-25).map((line) => JSON.stringify(line));
    return `--- last log lines ---\n${last.join('\n')}\n--- stderr ---\n${this.tail}`;
  }

  private take(text: string): void {
    const parts = (this.rest + text).split('\n');
    this.rest = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.startsWith('{')) continue;
      try {
        this.lines.push(JSON.parse(part) as LogLine);
      } catch {
        // not a log line
      }
    }
  }
}
