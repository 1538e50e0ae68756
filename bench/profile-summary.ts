import fs from 'node:fs';
import path from 'node:path';

/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile>...`: where a process spent its CPU, from the V8 profiles
 * `npm run bench -- --profile` writes. Prints self time by package (node_modules/<pkg>, src/…, node internals)
 * and the top functions, as shares of the busy (non-idle) time. A profile covers the whole life of the process:
 * start-up work (tsx compiling, webpack bundling the workflows) shows up under those packages.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Busy time sampled (idle excluded); the percentages below are shares of it. */
  totalMs: number;
  idleMs: number;
  byPackage: Array<{ name: string; ms: number; pct: number }>;
  byFunction: Array<{ name: string; ms: number; pct: number }>;
}

export function summarizeProfile(profile: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    totalUs += us;
    const pkg = packageOf(frame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, pct: (100 * us) / totalUs }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, byPackage: rank(packages), byFunction: rank(functions) };
}

function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native/V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const src = /\/(src|bench)\/(.*)$/.exec(url);
  if (src) return `${src[1]}/${path.dirname(src[2]!)}`;
  return shortUrl(url);
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(src|bench)\//, '$1/');
}

function main(): void {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile>...\n');
    process.exit(2);
  }
  for (const file of files) {
    const summary = summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile);
    const lines = [
      `${file}: ${summary.totalMs.toFixed(0)} ms busy (+ ${summary.idleMs.toFixed(0)} ms idle)`,
      '  self time by package (share of busy time):',
    ];
    for (const p of summary.byPackage) lines.push(`    ${p.pct.toFixed(1).padStart(5)}%  ${p.ms.toFixed(0).padStart(7)} ms  ${p.name}`);
    lines.push('  top functions (self time):');
    for (const f of summary.byFunction) lines.push(`    ${f.pct.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`);
    process.stdout.write(`${lines.join('\n')}\n\n`);
  }
}

if (require.main === module) main();
