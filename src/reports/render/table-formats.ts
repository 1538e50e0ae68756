import type { Cell, ReportTable } from '../definition';

function csvCell(cell: Cell): string {
  const text = String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with a header line; `\n` line ends. */
export function tableToCsv(table: ReportTable): Buffer {
  const lines = [table.columns, ...table.rows].map((row) => row.map(csvCell).join(','));
  return Buffer.from(lines.join('\n') + '\n');
}

/** An array of objects keyed by column: what a script or a spreadsheet import wants. */
export function tableToJson(table: ReportTable): Buffer {
  const rows = table.rows.map((row) => Object.fromEntries(table.columns.map((column, i) => [column, row[i]])));
  return Buffer.from(JSON.stringify({ table: table.name, title: table.title, columns: table.columns, rows }, null, 2) + '\n');
}
