import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config';
import { logger } from '../../src/logger';
import { JOB_KINDS, DEFAULT_MIX, type JobMix } from './load';
import { runChaos } from './run';
import { formatReport } from './table';

const USAGE = `npm run chaos -- [--duration 5m] [--kill-every 5s] [--workers 3] [--rate 5] [--mix echo=5,http=4,report=1,batch=1,pipeline=1]
  [--no-api-restart] [--no-server-restart] [--no-recovery] [--temporal host:port] [--verbose]
npm run chaos -- --soak 30m [--rate 5] [--rss-every 10s]   steady load, no faults: RSS of API and worker over time`;

/** `90s`, `5m`, `1h`, or milliseconds. */
export function duration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`"${text}": expected a duration such as 90s, 5m or 1h`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms']!;
  return Number(match[1]) * unit;
}

function mix(text: string): JobMix {
  const result: JobMix = { echo: 0, http: 0, report: 0, batch: 0, pipeline: 0 };
  for (const part of text.split(',')) {
    const [kind, weight] = part.split('=');
    if (!JOB_KINDS.includes(kind as never) || !/^\d+$/.test(weight ?? '')) throw new Error(`--mix: "${part}": expected kind=weight`);
    result[kind as keyof JobMix] = Number(weight);
  }
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5m' },
      'kill-every': { type: 'string', default: '5s' },
      workers: { type: 'string', default: '3' },
      rate: { type: 'string', default: '5' },
      mix: { type: 'string' },
      'no-api-restart': { type: 'boolean', default: false },
      'no-server-restart': { type: 'boolean', default: false },
      'no-recovery': { type: 'boolean', default: false },
      temporal: { type: 'string' },
      soak: { type: 'string' },
      'rss-every': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  logger.level = 'warn';
  const soak = values.soak !== undefined;
  const server = values.temporal ? { address: values.temporal, namespace: config.temporal.namespace } : undefined;
  const report = await runChaos({
    durationMs: duration(values.soak ?? values.duration),
    killEveryMs: soak ? 0 : duration(values['kill-every']),
    workers: soak ? 1 : Number(values.workers),
    rate: Number(values.rate),
    mix: values.mix ? mix(values.mix) : DEFAULT_MIX,
    restartApi: !soak && !values['no-api-restart'],
    restartServer: !soak && !values['no-server-restart'] && !server,
    server,
    cliPath: config.embedded.cliPath,
    databaseUrl: config.reports.databaseUrl,
    rssEveryMs: duration(values['rss-every'] ?? (soak ? '10s' : '5s')),
    verbose: values.verbose,
    measureRecovery: !soak && !values['no-recovery'],
    settleTimeoutMs: 300_000,
    progress: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  const title = soak
    ? `Soak: ${values.soak} at ${values.rate} jobs/s, no faults`
    : `Chaos: ${values.duration}, ${values.workers} workers, a SIGKILL every ${values['kill-every']}, ${values.rate} jobs/s`;
  process.stdout.write(`${formatReport(report, title)}\n`);
  if (soak) {
    process.stdout.write('\nRSS samples (s: API MB / worker MB):\n');
    report.rss.api.forEach((sample, i) => {
      process.stdout.write(`${sample.t.toFixed(0)}: ${sample.mb.toFixed(1)} / ${report.rss.worker[i]?.mb.toFixed(1) ?? '-'}\n`);
    });
  }
  if (report.lost > 0 || report.refused.length > 0 || report.batch.missingKeys > 0 || report.http.missing > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'chaos failed');
  process.exit(1);
});
