import type { FileHandle } from 'node:fs/promises';
import { excerpt } from '../../files/excerpt';
import { openInside, SourceFileRefusedError } from '../../files/open-inside';
import { splitCsvLine } from '../../reports/sources/parse-line';
import type { ChunkRef, PlanCursor, PlanPage } from '../types';
import { invalidBatchSource, type BatchItem, type ItemSource } from './item-source';

const READ_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

/** A line of the file: its bytes (without the newline) and the offset just past it. */
interface Line {
  text: string;
  end: number;
}

/**
 * Items from a CSV file (a header line, then one object per line with the header's names) or an NDJSON file
 * (one JSON value per line). Chunks are byte ranges of whole lines, so reading one never scans the lines
 * before it. Blank lines are not items. Every pass opens the file with openInside: it (and any link on the
 * way) must stay inside the source directory.
 */
export class FileItemSource implements ItemSource {
  constructor(
    private readonly sourceDir: string,
    private readonly relative: string,
    private readonly format: 'csv' | 'ndjson',
  ) {}

  async plan(cursor: PlanCursor, chunkSize: number, maxChunks: number, first: boolean): Promise<PlanPage> {
    const readsHeader = first && this.format === 'csv';
    let header: string[] | undefined;
    const chunks: ChunkRef[] = [];
    let index = cursor.nextIndex;
    let position = cursor.nextPosition;
    /** Where the chunk being gathered starts, and how many items it has so far. */
    let start = cursor.offset ?? 0;
    let count = 0;
    let end = start;
    const close = () => {
      chunks.push({ index, first: position, count, range: { kind: 'file', start, end } });
      index += 1;
      position += count;
      start = end;
      count = 0;
    };
    let exhausted = true;
    read: for await (const batch of lineBatches(await this.open(), start)) {
      for (const line of batch) {
        end = line.end;
        if (readsHeader && header === undefined) {
          header = splitCsvLine(line.text);
          start = end;
          continue;
        }
        if (line.text.length > 0) count += 1;
        if (count === chunkSize) {
          close();
          if (chunks.length === maxChunks) {
            exhausted = false;
            break read;
          }
        }
      }
    }
    if (exhausted && count > 0) close();
    if (readsHeader && !header) throw invalidBatchSource(`${this.relative} is empty: a CSV source needs a header line`);
    const page: PlanPage = { chunks, cursor: { nextIndex: index, nextPosition: position, offset: start }, exhausted };
    if (header) page.header = header;
    return page;
  }

  async read(ref: ChunkRef, header?: string[]): Promise<BatchItem[]> {
    if (ref.range.kind !== 'file') throw invalidBatchSource(`chunk ${ref.index} is not a file chunk`);
    const items: BatchItem[] = [];
    for await (const batch of lineBatches(await this.open(), ref.range.start, ref.range.end)) {
      for (const line of batch) {
        if (line.text.length === 0) continue;
        const position = ref.first + items.length;
        items.push({ position, key: String(position), ...this.parse(line.text, header) });
      }
    }
    return items;
  }

  async count(): Promise<number> {
    let items = 0;
    let skipHeader = this.format === 'csv';
    for await (const batch of lineBatches(await this.open(), 0)) {
      for (const line of batch) {
        if (skipHeader) skipHeader = false;
        else if (line.text.length > 0) items += 1;
      }
    }
    return items;
  }

  private parse(text: string, header: string[] | undefined): { value: unknown; error?: string } {
    if (this.format === 'ndjson') {
      try {
        return { value: JSON.parse(text) as unknown };
      } catch {
        return { value: undefined, error: `not a JSON line: ${excerpt(text)}` };
      }
    }
    const fields = splitCsvLine(text);
    if (!header) return { value: undefined, error: 'the CSV header is missing' };
    if (fields.length !== header.length) {
      return { value: undefined, error: `${fields.length} fields where the header has ${header.length}` };
    }
    return { value: Object.fromEntries(header.map((name, i) => [name, fields[i]])) };
  }

  /** A refusal (missing, a directory, outside the source directory) fails the batch; EMFILE and the like are retried. */
  private async open(): Promise<FileHandle> {
    try {
      return await openInside(this.sourceDir, this.relative);
    } catch (err) {
      throw err instanceof SourceFileRefusedError ? invalidBatchSource(err.message) : err;
    }
  }
}

/**
 * The lines of the open `file` from byte `start` (a line start) to `end` (exclusive), with the offset after
 * each, a read buffer's worth at a time: one promise per buffer rather than per line. Closes the file.
 */
async function* lineBatches(file: FileHandle, start: number, end?: number): AsyncIterable<Line[]> {
  if (end !== undefined && end <= start) {
    await file.close();
    return;
  }
  const stream = file.createReadStream({ start, ...(end !== undefined ? { end: end - 1 } : {}), highWaterMark: READ_BYTES });
  let rest: Buffer = Buffer.alloc(0);
  let offset = start;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buffer = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const batch: Line[] = [];
    let from = 0;
    for (let nl = buffer.indexOf(NEWLINE, from); nl >= 0; nl = buffer.indexOf(NEWLINE, from)) {
      offset += nl + 1 - from;
      batch.push({ text: stripCr(buffer.toString('utf8', from, nl)), end: offset });
      from = nl + 1;
    }
    rest = buffer.subarray(from);
    if (batch.length > 0) yield batch;
  }
  if (rest.length > 0) yield [{ text: stripCr(rest.toString('utf8')), end: offset + rest.length }];
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
