import { JOB_KINDS } from './load';
import type { ChaosReport } from './run';

const mb = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)} MB/h`;
const range = (samples: { mb: number }[]) =>
  samples.length === 0
    ? 'n/a'
    : `${Math.min(...samples.map((s) => s.mb)).toFixed(0)}–${Math.max(...samples.map((s) => s.mb)).toFixed(0)} MB`;

/** The chaos run's figures as Markdown tables (README "Chaos and crash recovery" quotes them). */
export function formatReport(report: ChaosReport, title: string): string {
  const lines = [
    `### ${title}`,
    '',
    '| jobs accepted | terminal | lost | kills (SIGKILL) | worker restarts | API restarts | Temporal restarts | submit retries | settle |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${report.accepted} | ${report.terminal} | **${report.lost}** | ${report.kills} | ${report.workerRestarts} | ${report.apiRestarts} | ${report.serverRestarts} | ${report.submitRetries} | ${(report.settleMs / 1000).toFixed(1)} s |`,
    '',
    '| kind | accepted | completed | failed | lost |',
    '|---|---|---|---|---|',
    ...JOB_KINDS.map((kind) => {
      const k = report.byKind[kind];
      return `| ${kind} | ${k.accepted} | ${k.completed} | ${k.failed} | ${k.lost} |`;
    }),
    '',
    '| side effects | figure |',
    '|---|---|',
    `| http: keys / calls at the target | ${report.http.keys} / ${report.http.calls} |`,
    `| http: completed with no call (missing) | ${report.http.missing} |`,
    `| http: duplicate calls (at-least-once, non-idempotent target) | ${report.http.duplicates} |`,
    `| batch: keys expected / rows / distinct keys | ${report.batch.expectedKeys} / ${report.batch.rows} / ${report.batch.distinctKeys} |`,
    `| batch: keys missing | ${report.batch.missingKeys} |`,
    `| batch: rows rewritten by a retried chunk (upsert keeps them once) | ${report.batch.rewrites} |`,
    '',
    report.kills > 0 ? '(RSS under kills mixes fresh and old worker processes: a leak figure only in --soak.)' : '',
    `| RSS | range | slope (least squares, ${report.rss.slopeWindowSeconds[0].toFixed(0)}–${report.rss.slopeWindowSeconds[1].toFixed(0)} s) | samples |`,
    '|---|---|---|---|',
    `| API | ${range(report.rss.api)} | ${mb(report.rss.apiSlopeMbPerHour)} | ${report.rss.api.length} |`,
    `| worker (mean of live workers) | ${range(report.rss.worker)} | ${mb(report.rss.workerSlopeMbPerHour)} | ${report.rss.worker.length} |`,
  ];
  if (report.recovery) {
    const r = report.recovery;
    lines.push(
      '',
      '| crash recovery (echo, 5 s of work, SIGKILL 1.5 s in) | figure |',
      '|---|---|',
      `| uninterrupted | ${(r.uninterruptedMs / 1000).toFixed(1)} s |`,
      `| with the kill | ${(r.crashedMs / 1000).toFixed(1)} s (+${(r.costMs / 1000).toFixed(1)} s; attempts ${r.attempts}) |`,
      `| goal: heartbeat timeout + 2 s + work redone | ≤ +${((r.heartbeatTimeoutMs + 2_000 + r.killedAfterMs) / 1000).toFixed(1)} s |`,
    );
  }
  if (report.refused.length > 0)
    lines.push('', `submissions never accepted: ${report.refused.length}: ${report.refused.slice(0, 5).join('; ')}`);
  if (report.lostIds.length > 0) lines.push('', `lost: ${report.lostIds.slice(0, 20).join(', ')}`);
  return lines.join('\n');
}
