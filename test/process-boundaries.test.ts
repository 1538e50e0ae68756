import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';

/**
 * Loads a module in a fresh Node process (through tsx, as `npm run api` does) and returns every file in
 * its module cache, relative to the project root.
 */
function modulesLoadedBy(entry: string): string[] {
  const script = `require(${JSON.stringify(path.join(PROJECT_ROOT, entry))});
    process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const output = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return (JSON.parse(output) as string[]).map((file) => path.relative(PROJECT_ROOT, file).split(path.sep).join('/'));
}

describe('process boundaries', () => {
  it('the API process loads no worker, activity or workflow module', function () {
    this.timeout(90_000);
    // app.ts is everything `npm run api` serves; main.ts would also listen on a port.
    const loaded = modulesLoadedBy('src/api/app.ts');
    assert.ok(loaded.includes('src/api/app.ts'), 'the probe saw the API module itself');
    const forbidden = loaded.filter(
      (file) =>
        file.startsWith('src/activities/') ||
        file.startsWith('src/workflows/run-') ||
        file === 'src/worker.ts' ||
        file.includes('node_modules/@temporalio/worker/') ||
        file.includes('node_modules/cockatiel/'),
    );
    assert.deepEqual(forbidden, []);
  });
});
