import { spawnSync } from 'node:child_process';
import { testEnv } from './temporal-env';

/** Runs the real `temporal` CLI binary against the test server, as an operator would. */
export function temporalCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = testEnv();
  const run = spawnSync(env.cliPath, [...args, '--address', env.server.address, '--namespace', env.namespace], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
