import type { ReportDefinition } from './definition';
import { salesSummary } from './sales-summary';

/** Every named report clients may run (`GET /v1/reports`). Add a definition here to publish it. */
export const REPORTS = [salesSummary] as const satisfies readonly ReportDefinition[];

const byName = new Map<string, ReportDefinition>(REPORTS.map((report) => [report.name, report as ReportDefinition]));

export function findReport(name: string): ReportDefinition | undefined {
  return byName.get(name);
}
