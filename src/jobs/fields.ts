import { z } from 'zod';

// Input fields that more than one job type takes.

/** A path inside the source directory (JOBLINE_REPORT_SOURCE_DIR): relative, no `..`. */
export const SourcePath = z
  .string()
  .min(1)
  .max(512)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/, { error: 'must be a relative path inside the source directory' });

/** A table name, quoted as an identifier in SQL: letters, digits and `_` only. */
export const TableName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'must be a lower-case SQL identifier' });
