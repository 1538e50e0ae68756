/** A bad flag: the command prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** Parses the command line with `parse`; on `--help` prints `usage` and exits 0, on a bad flag exits 2. */
export function commandLine<T>(parse: (argv: string[], env: NodeJS.ProcessEnv) => T | 'help', usage: string): T {
  let parsed: T | 'help';
  try {
    parsed = parse(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (parsed === 'help') {
    process.stdout.write(usage);
    process.exit(0);
  }
  return parsed;
}

/** Runs the clean-ups last first; one that fails is reported and the rest still run. */
export async function runCleanups(cleanups: Array<() => Promise<void>>): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${String(err)}\n`);
    }
  }
}
