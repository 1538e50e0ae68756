import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/**
 * Process accounting from /proc (Linux): resident memory (VmRSS now, VmHWM = the kernel's own peak) and CPU
 * time (utime + stime, all threads). Elsewhere every read returns undefined and the report shows "n/a".
 */

export interface ProcReading {
  rssKb: number;
  hwmKb: number;
  cpuMs: number;
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export function readProc(pid: number): ProcReading | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: the fields we want follow its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    return {
      rssKb: statusKb(status, 'VmRSS'),
      hwmKb: statusKb(status, 'VmHWM'),
      cpuMs: (ticks * 1000) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

function statusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

/** Busy and total CPU time of the whole machine, in ms summed over all CPUs (from /proc/stat). */
export function readMachineCpu(): { busyMs: number; totalMs: number } | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
    const busy = user + nice + system + irq + softirq + steal;
    const toMs = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
    return { busyMs: toMs(busy), totalMs: toMs(busy + idle + iowait) };
  } catch {
    return undefined;
  }
}

/** Direct children of a process (the dev server runs under a small `sh` watchdog). */
export function childPids(parent: number): number[] {
  const children: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

export interface ProcessUsage {
  /** CPU time the process used during the phase. */
  cpuMs: number;
  /** Highest VmRSS sampled during the phase. */
  maxRssMb: number;
}

export interface PhaseUsage {
  wallMs: number;
  processes: Record<string, ProcessUsage>;
  /** Share of all CPUs busy during the phase, whoever used them (other work on the machine included). */
  machineBusyPct: number;
  cpus: number;
}

interface PhaseMark {
  at: number;
  cpu: Map<string, number>;
  machine?: { busyMs: number; totalMs: number };
  maxRss: Map<string, number>;
}

/**
 * Samples the watched processes a few times a second: the highest RSS per phase, CPU time between phase
 * marks, and each process's peak (VmHWM) over its whole life, kept after it exits.
 */
export class ProcessMonitor {
  private readonly pids = new Map<string, number>();
  private readonly peakKb = new Map<string, number>();
  private readonly open = new Set<PhaseMark>();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 200) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  watch(name: string, pid: number): void {
    this.pids.set(name, pid);
    this.sample();
  }

  /** Stop sampling a process (call before it exits; its peak so far is kept). */
  unwatch(name: string): void {
    this.sample();
    this.pids.delete(name);
  }

  /** Peak resident memory (VmHWM) of each process ever watched, in MB. */
  peaks(): Record<string, number> {
    return Object.fromEntries([...this.peakKb].map(([name, kb]) => [name, kb / 1024]));
  }

  startPhase(): PhaseMark {
    const mark: PhaseMark = { at: Date.now(), cpu: new Map(), machine: readMachineCpu(), maxRss: new Map() };
    for (const [name, pid] of this.pids) {
      const reading = readProc(pid);
      if (reading) mark.cpu.set(name, reading.cpuMs);
    }
    this.open.add(mark);
    this.sample();
    return mark;
  }

  endPhase(mark: PhaseMark): PhaseUsage {
    this.sample();
    this.open.delete(mark);
    const processes: Record<string, ProcessUsage> = {};
    for (const [name, pid] of this.pids) {
      const reading = readProc(pid);
      const before = mark.cpu.get(name);
      if (!reading || before === undefined) continue;
      processes[name] = { cpuMs: reading.cpuMs - before, maxRssMb: (mark.maxRss.get(name) ?? reading.rssKb) / 1024 };
    }
    const machine = readMachineCpu();
    const busyPct =
      machine && mark.machine && machine.totalMs > mark.machine.totalMs
        ? (100 * (machine.busyMs - mark.machine.busyMs)) / (machine.totalMs - mark.machine.totalMs)
        : Number.NaN;
    return { wallMs: Date.now() - mark.at, processes, machineBusyPct: busyPct, cpus: cpuCount() };
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    for (const [name, pid] of this.pids) {
      const reading = readProc(pid);
      if (!reading) continue;
      this.peakKb.set(name, Math.max(this.peakKb.get(name) ?? 0, reading.hwmKb));
      for (const mark of this.open) mark.maxRss.set(name, Math.max(mark.maxRss.get(name) ?? 0, reading.rssKb));
    }
  }
}

export function cpuCount(): number {
  return os.availableParallelism();
}
