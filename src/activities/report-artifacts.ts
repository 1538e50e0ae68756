import type { ArtifactMeta, ArtifactStore } from '../artifacts';
import type { ReportJobInput } from '../jobs/report';
import type { ReportOutput } from '../reports/definition';
import { renderHtmlReport } from '../reports/render/html-report';
import { tableToCsv, tableToJson } from '../reports/render/table-formats';

export const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  html: 'text/html; charset=utf-8',
} as const;

/** Writes every table as CSV and JSON and the HTML report (as `formats` asks); returns their metadata. */
export async function storeReportArtifacts(
  store: ArtifactStore,
  jobId: string,
  input: ReportJobInput,
  output: ReportOutput,
): Promise<ArtifactMeta[]> {
  const files: { name: string; format: keyof typeof CONTENT_TYPES; body: Buffer }[] = [];
  for (const table of output.tables) {
    if (input.formats.includes('csv')) files.push({ name: `${table.name}.csv`, format: 'csv', body: tableToCsv(table) });
    if (input.formats.includes('json')) files.push({ name: `${table.name}.json`, format: 'json', body: tableToJson(table) });
  }
  if (input.formats.includes('html')) {
    const body = renderHtmlReport(output, { report: input.report, description: { params: input.params, source: input.source } });
    files.push({ name: 'report.html', format: 'html', body });
  }
  const metas: ArtifactMeta[] = [];
  for (const file of files) metas.push(await store.put(jobId, file.name, CONTENT_TYPES[file.format], file.body));
  return metas;
}
