import { excerpt } from '../../files/excerpt';
import { openInside, SourceFileRefusedError } from '../../files/open-inside';
import { ORDER_COLUMNS, matchesFilter, type OrderFilter, type OrderRow } from '../definition';
import { splitCsvLine } from './parse-line';
import { invalidSource, type RowBatch, type RowSource, type SourcePosition } from './source';

const CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

export type FileFormat = 'csv' | 'ndjson';

/**
 * Orders from a CSV (with a header line) or NDJSON file, read in chunks of whole lines. Positions are byte
 * offsets of line starts, so a resumed read opens the file at the offset and skips nothing twice. The file
 * is opened with openInside: it (and any link on the way) must stay inside the source directory.
 */
export class FileRowSource implements RowSource {
  constructor(
    private readonly sourceDir: string,
    private readonly relative: string,
    private readonly format: FileFormat,
    private readonly filter: OrderFilter,
  ) {}

  async total(): Promise<number | undefined> {
    return undefined; // counting lines would cost a full pass
  }

  async *batches(from: SourcePosition | undefined): AsyncIterable<RowBatch> {
    if (from && from.kind !== 'file') throw invalidSource('checkpoint is not for a file source');
    const handle = await openInside(this.sourceDir, this.relative).catch((err: unknown) => {
      throw err instanceof SourceFileRefusedError ? invalidSource(err.message) : err;
    });
    let header = from?.header ?? (this.format === 'csv' ? undefined : [...ORDER_COLUMNS]);
    let offset = from?.offset ?? 0;
    let toRow = header ? rowReader(this.format, header) : undefined;
    let rest: Buffer = Buffer.alloc(0);
    // The stream owns the handle: it closes it at the end, or when the consumer stops early.
    const stream = handle.createReadStream({ start: offset, highWaterMark: CHUNK_BYTES });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buffer = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      const end = buffer.lastIndexOf(NEWLINE);
      if (end < 0) {
        rest = buffer;
        continue;
      }
      const lines = buffer.toString('utf8', 0, end).split('\n');
      rest = buffer.subarray(end + 1);
      offset += end + 1;
      if (!toRow) {
        header = splitCsvLine(stripCr(lines.shift() ?? ''));
        toRow = rowReader(this.format, header);
      }
      yield this.batchOf(lines, toRow, { kind: 'file', offset, header: header ?? [] });
    }
    if (rest.length && toRow) {
      offset += rest.length;
      yield this.batchOf([rest.toString('utf8')], toRow, { kind: 'file', offset, header: header ?? [] });
    }
  }

  private batchOf(lines: string[], toRow: (line: string) => OrderRow, position: SourcePosition): RowBatch {
    const rows: OrderRow[] = [];
    let scanned = 0;
    for (const raw of lines) {
      const line = stripCr(raw);
      if (line === '') continue;
      scanned++;
      const row = toRow(line);
      if (matchesFilter(row, this.filter)) rows.push(row);
    }
    return { rows, scanned, position };
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function rowReader(format: FileFormat, header: string[]): (line: string) => OrderRow {
  if (format === 'ndjson') {
    return (line) => {
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw invalidSource(`not a JSON line: ${excerpt(line)}`);
      }
      return checkedRow(ORDER_COLUMNS.map((column) => value[column]));
    };
  }
  const indexes = ORDER_COLUMNS.map((column) => {
    const index = header.indexOf(column);
    if (index < 0) throw invalidSource(`the CSV header has no "${column}" column (needs: ${ORDER_COLUMNS.join(', ')})`);
    return index;
  });
  return (line) => {
    const fields = splitCsvLine(line);
    return checkedRow(indexes.map((index) => fields[index]));
  };
}

/** Values in ORDER_COLUMNS order → a row, refusing what would corrupt the aggregates. */
export function checkedRow(values: unknown[]): OrderRow {
  const [id, orderedAt, region, product, quantity, amountCents] = values;
  const row: OrderRow = {
    id: Number(id),
    // PostgreSQL's timestamptz arrives as a Date; files hold ISO text already.
    orderedAt: orderedAt instanceof Date ? orderedAt.toISOString() : String(orderedAt ?? ''),
    region: String(region ?? ''),
    product: String(product ?? ''),
    quantity: Number(quantity),
    amountCents: Number(amountCents),
  };
  if (
    !Number.isSafeInteger(row.id) ||
    !Number.isSafeInteger(row.amountCents) ||
    row.amountCents <= 0 ||
    !Number.isFinite(row.quantity) ||
    !/^\d{4}-\d{2}-\d{2}/.test(row.orderedAt)
  ) {
    throw invalidSource(`bad order row: ${excerpt(JSON.stringify(values))}`);
  }
  return row;
}
