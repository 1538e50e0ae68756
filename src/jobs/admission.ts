import type { Config } from '../config';
import { checkInside, SourceFileRefusedError } from '../files/open-inside';
import { TABLE_UNAVAILABLE, tableAllowed, type TablePolicy } from '../tables/table-access';

/** What a job may read and write in this deployment: files under the source directory, tables by policy. */
export interface SourceAccess {
  /** JOBLINE_REPORT_SOURCE_DIR. */
  sourceDir: string;
  tables: TablePolicy;
}

/** A field of a job's input (a path under `input`) that names something the job may not use. */
export interface AdmissionIssue {
  path: Array<string | number>;
  message: string;
}

export function sourceAccessFrom(config: Config): SourceAccess {
  return { sourceDir: config.reports.sourceDir, tables: config.reports.tables };
}

/**
 * The source file `relative` as the worker will open it: missing, a directory, or leading out of the
 * source directory (through a link) is an issue. The message names the path the client gave, never what
 * the file holds or where a link leads.
 */
export async function sourceFileIssues(access: SourceAccess, relative: string, path: AdmissionIssue['path']): Promise<AdmissionIssue[]> {
  try {
    await checkInside(access.sourceDir, relative);
    return [];
  } catch (err) {
    if (err instanceof SourceFileRefusedError) return [{ path, message: err.message }];
    throw err;
  }
}

/** A table the policy does not allow: the same message as for a missing one (the worker's). */
export function tableIssues(access: SourceAccess, table: string, path: AdmissionIssue['path']): AdmissionIssue[] {
  return tableAllowed(access.tables, table) ? [] : [{ path, message: TABLE_UNAVAILABLE }];
}
