import fs from 'node:fs';

/** The i-th item: a small JSON object, the same for Jobline (a line of the file) and BullMQ (a job's data). */
export function itemOf(i: number): { id: number; sku: string; qty: number } {
  return { id: i, sku: `sku-${i % 1000}`, qty: (i % 7) + 1 };
}

/** Writes `count` items as NDJSON (one JSON value per line); returns the file's size in bytes. */
export function writeNdjson(file: string, count: number): number {
  const fd = fs.openSync(file, 'w');
  try {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      lines.push(JSON.stringify(itemOf(i)));
      if (lines.length === 10_000 || i === count - 1) {
        fs.writeSync(fd, `${lines.join('\n')}\n`);
        lines.length = 0;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return fs.statSync(file).size;
}
