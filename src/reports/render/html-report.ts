import type { ReportOutput, ReportTable } from '../definition';
import { escapeHtml } from './escape-html';
import { barChartSvg } from './svg-chart';

export interface HtmlContext {
  report: string;
  /** Parameters and source, shown so a reader knows what the numbers cover. */
  description: Record<string, unknown>;
}

function tableHtml(table: ReportTable): string {
  const head = table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = table.rows
    .map((row) => `<tr>${row.map((cell) => `<td${typeof cell === 'number' ? ' class="n"' : ''}>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<h2>${escapeHtml(table.title)}</h2>\n<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/**
 * A self-contained HTML page: charts as inline SVG, tables, no scripts or external assets. It holds no
 * timestamp, so the same data gives the same bytes (a resumed run is checked against an uninterrupted one).
 */
export function renderHtmlReport(output: ReportOutput, context: HtmlContext): Buffer {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(output.title)}</title>
<style>
body{font-family:sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin-bottom:2rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}pre{background:#f8f8f8;padding:.5rem}
</style>
</head>
<body>
<h1>${escapeHtml(output.title)}</h1>
<pre>${escapeHtml(JSON.stringify({ report: context.report, ...context.description }, null, 2))}</pre>
${output.charts.map(barChartSvg).join('\n')}
${output.tables.map(tableHtml).join('\n')}
</body>
</html>
`;
  return Buffer.from(html);
}
