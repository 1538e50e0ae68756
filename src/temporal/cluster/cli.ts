import { clusterDown, clusterReset, clusterStatus, clusterUp, frontendAnswers } from './lifecycle';
import { loadClusterSettings, type ClusterSettings } from './settings';

// `npm run cluster -- up | down | status | reset`: the full Temporal server (four processes) on PostgreSQL.

const USAGE = `usage: npm run cluster -- <command>
  up      build the server if needed, create/upgrade the databases, start frontend, history, matching,
          worker and the Web UI, prepare the namespace (re-running it never wipes anything)
  down    stop every process gracefully
  status  show which processes run and whether the frontend answers
  reset   stop everything and DROP both databases (all workflows are lost)
environment: JOBLINE_CLUSTER_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres), JOBLINE_CLUSTER_PORT (7243),
  JOBLINE_CLUSTER_UI_PORT (8243), JOBLINE_CLUSTER_NAMESPACE (default), JOBLINE_CLUSTER_SHARDS (4), JOBLINE_CLUSTER_DIR
`;

const say = (line: string) => process.stdout.write(`[cluster] ${line}\n`);

function printHowToUse(settings: ClusterSettings): void {
  const env = `TEMPORAL_ADDRESS=${settings.frontendAddress} TEMPORAL_NAMESPACE=${settings.namespace} TEMPORAL_UI_URL=${settings.uiUrl}`;
  process.stdout.write(
    [
      '',
      `Temporal frontend  ${settings.frontendAddress} (namespace ${settings.namespace})`,
      `Temporal Web UI    ${settings.uiUrl}`,
      `Logs and pids      ${settings.logDir}, ${settings.runDir}`,
      '',
      'Run Jobline against it:',
      `  ${env} npm run worker`,
      `  ${env} npm run api`,
      `  (or both in one process: ${env} npm start)`,
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const command = process.argv[2];
  const settings = loadClusterSettings();
  switch (command) {
    case 'up':
      await clusterUp(settings, say);
      printHowToUse(settings);
      return;
    case 'down':
      await clusterDown(settings, say);
      say('down');
      return;
    case 'status': {
      for (const state of clusterStatus(settings)) {
        say(`${state.name.padEnd(8)} ${state.running ? `running (pid ${state.pid})` : 'stopped'}`);
      }
      const answering = await frontendAnswers(settings);
      say(`frontend ${settings.frontendAddress}: ${answering ? 'answers' : 'does not answer'}`);
      if (answering) printHowToUse(settings);
      else process.exitCode = 3;
      return;
    }
    case 'reset':
      await clusterReset(settings, say);
      return;
    default:
      process.stderr.write(USAGE);
      process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[cluster] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
