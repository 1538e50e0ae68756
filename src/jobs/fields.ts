import { z } from 'zod';
import { TABLE_UNAVAILABLE } from '../tables/table-access';

// Input fields that more than one job type takes.

/**
 * A file inside the source directory (JOBLINE_REPORT_SOURCE_DIR): relative, no `..`, naming a file rather
 * than the directory itself (`.`, `./`, `dir/`). Where it leads once links are resolved is checked when the
 * file is opened (src/files/open-inside.ts), and at submission when the API can see the directory.
 */
export const SourcePath = z
  .string()
  .min(1)
  .max(512)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/, { error: 'must be a relative path inside the source directory' })
  .refine((path) => !path.endsWith('/') && path.split('/').some((segment) => segment !== '' && segment !== '.'), {
    error: 'must name a file inside the source directory, not a directory',
  });

/**
 * A table name, quoted as an identifier in SQL: letters, digits and `_` only. A name that is not one gets
 * the same answer as a table that is missing or not allowed (src/tables/table-access.ts).
 */
export const TableName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: TABLE_UNAVAILABLE });

/**
 * Text that goes to PostgreSQL as a parameter. PostgreSQL text cannot hold a NUL byte and refuses the
 * whole statement: refused here, a NUL is a 400 at submission rather than a dead-lettered job.
 */
export const SqlText = z.string().regex(/^[^\0]*$/, { error: 'must not contain a NUL character' });
