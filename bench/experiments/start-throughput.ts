import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DEFAULT_CLI_PATH } from '../../src/config';
import { devServerArgs } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import { readProc } from '../procfs';

/**
 * `npx tsx bench/experiments/start-throughput.ts`: how fast a fresh dev server accepts workflow starts (no worker,
 * so nothing else competes), with Jobline's own dev-server arguments plus each SQLite setting in turn. Isolates
 * the database from everything else the bench measures.
 */

const VARIANTS: Array<{ label: string; file: boolean; extra: string[] }> = [
  { label: 'file, as Jobline runs it (rollback journal, synchronous=FULL)', file: true, extra: [] },
  { label: 'file, journal_mode=wal', file: true, extra: ['--sqlite-pragma', 'journal_mode=wal'] },
  {
    label: 'file, journal_mode=wal + synchronous=normal',
    file: true,
    extra: ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'],
  },
  { label: 'in memory', file: false, extra: [] },
];

async function measure(label: string, file: boolean, extra: string[], starts: number, concurrency: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-start-'));
  const port = await freePort();
  const args = [...devServerArgs({ binary: DEFAULT_CLI_PATH, port, ...(file ? { dbFile: path.join(dir, 'temporal.db') } : {}) }), ...extra];
  const server = spawn(DEFAULT_CLI_PATH, args, { stdio: 'ignore' });
  try {
    const connection = await connect(`127.0.0.1:${port}`);
    const client = new Client({ connection });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.workflow.start('nothing', { workflowId: `warm-${i}`, taskQueue: 'nobody' })),
    );
    const cpuBefore = readProc(server.pid!)?.cpuMs ?? Number.NaN;
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < starts) await client.workflow.start('nothing', { workflowId: `w-${next++}`, taskQueue: 'nobody' });
      }),
    );
    const ms = Date.now() - t0;
    const cpu = (readProc(server.pid!)?.cpuMs ?? Number.NaN) - cpuBefore;
    await connection.close();
    return `${label.padEnd(62)} ${((starts * 1000) / ms).toFixed(0).padStart(5)} starts/s   server CPU ${(cpu / starts).toFixed(1)} ms/start`;
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function connect(address: string): Promise<Connection> {
  for (let i = 0; i < 150; i++) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return connection;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`no dev server at ${address}`);
}

async function main(): Promise<void> {
  const starts = Number(process.argv[2] ?? 600);
  const concurrency = Number(process.argv[3] ?? 16);
  process.stdout.write(`${starts} workflow starts, ${concurrency} concurrent, no worker\n`);
  for (const v of VARIANTS) process.stdout.write(`${await measure(v.label, v.file, v.extra, starts, concurrency)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
