import fs from 'node:fs';

/** Resident set size of a process in MB, or undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface Sample {
  /** Seconds since the run started. */
  t: number;
  mb: number;
}

/** The least-squares slope of the samples, in MB per hour (0 with fewer than two samples). */
export function slopeMbPerHour(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const meanT = samples.reduce((sum, s) => sum + s.t, 0) / n;
  const meanMb = samples.reduce((sum, s) => sum + s.mb, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (const s of samples) {
    numerator += (s.t - meanT) * (s.mb - meanMb);
    denominator += (s.t - meanT) ** 2;
  }
  return denominator === 0 ? 0 : (numerator / denominator) * 3600;
}
