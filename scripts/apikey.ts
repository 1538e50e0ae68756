import { parseArgs } from 'node:util';
import { KeyRequestError, newKeyEntry, ROLE_HELP } from '../src/auth/new-key-entry';

const USAGE = `usage: npm run apikey -- --tenant <tenant> --role <${ROLE_HELP}> [--id <key id>] [--rate <requests>/<seconds>] [--max-in-flight <n>] [--weight <w>]`;

/**
 * `npm run apikey`: a new API key, printed once, and the entry to add to JOBLINE_API_KEYS_FILE (YAML, and the
 * same as JSON). Only the entry's hash goes into the file; Jobline reloads the file by itself.
 */
function main(): void {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      role: { type: 'string' },
      id: { type: 'string' },
      rate: { type: 'string' },
      'max-in-flight': { type: 'string' },
      weight: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const entry = newKeyEntry({
    tenant: values.tenant,
    role: values.role,
    id: values.id,
    rate: values.rate,
    maxInFlight: values['max-in-flight'],
    weight: values.weight,
  });
  process.stdout.write(
    [
      `API key (shown once; give it to the client, store it nowhere else):`,
      ``,
      `  ${entry.key}`,
      ``,
      `Add this entry under "keys:" in the key file (YAML):`,
      ``,
      entry.yaml.split('\n').slice(1).join('\n'),
      ``,
      `or, in a JSON key file, this object to "keys":`,
      ``,
      `  ${entry.json}`,
      ``,
      `Clients send: Authorization: Bearer ${entry.key.slice(0, entry.key.indexOf('.') + 1)}…`,
      ``,
    ].join('\n'),
  );
}

try {
  main();
} catch (err) {
  if (err instanceof KeyRequestError) process.stderr.write(`apikey: ${err.problems.join('\n        ')}\n${USAGE}\n`);
  else process.stderr.write(`apikey: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
