import { Connection } from '@temporalio/client';
import { installClusterBinaries, type ClusterBinaries } from './binaries';
import { prepareClusterNamespace, waitForFrontend } from './namespace';
import { logTail, processState, startProcess, stopProcess, type ProcessName, type ProcessState } from './processes';
import { dropDatabases, setUpSchemas } from './schema';
import { writeConfigs } from './server-config';
import { SERVICES, type ClusterSettings, type ServiceName } from './settings';

/** up / down / status / reset of the full server, as `npm run cluster` runs them. */

type Say = (line: string) => void;

/** The UI last: it only talks to the frontend. */
const ALL_PROCESSES: ProcessName[] = [...SERVICES, 'ui'];
/** The frontend first, so that clients stop getting answers before the services behind it go. */
const STOP_ORDER: ProcessName[] = ['ui', 'frontend', 'worker', 'matching', 'history'];

function deadProcess(settings: ClusterSettings, names: ProcessName[]): string | undefined {
  for (const name of names) {
    if (!processState(settings, name).running) {
      return `temporal ${name} exited during start-up; the end of ${processState(settings, name).logFile}:\n${logTail(settings, name)}`;
    }
  }
  return undefined;
}

/** Starts one server service (again), waiting for the frontend to answer when it is the frontend. */
export async function startService(binaries: ClusterBinaries, settings: ClusterSettings, service: ServiceName): Promise<void> {
  startProcess(binaries, settings, service);
  if (service === 'frontend') await waitForFrontend(settings.frontendAddress, 90_000, () => deadProcess(settings, ['frontend']));
}

export async function clusterUp(settings: ClusterSettings, say: Say): Promise<ClusterBinaries> {
  let started = Date.now();
  const binaries = installClusterBinaries();
  say(`binaries ready (${Date.now() - started} ms)`);

  started = Date.now();
  for (const line of await setUpSchemas(binaries, settings)) say(line);
  say(`schemas ready (${Date.now() - started} ms)`);

  writeConfigs(settings);
  started = Date.now();
  for (const name of ALL_PROCESSES) {
    const wasRunning = processState(settings, name).running;
    const pid = startProcess(binaries, settings, name);
    say(`${name}: ${wasRunning ? 'already running' : 'started'} (pid ${pid}, log ${processState(settings, name).logFile})`);
  }
  await waitForFrontend(settings.frontendAddress, 120_000, () => deadProcess(settings, SERVICES.slice()));
  say(`frontend answers at ${settings.frontendAddress} (${Date.now() - started} ms)`);

  started = Date.now();
  const connection = await Connection.connect({ address: settings.frontendAddress });
  try {
    const ready = await prepareClusterNamespace(connection, settings.namespace, settings.retentionDays);
    say(
      `namespace ${settings.namespace}: ${ready.created ? 'created' : 'exists'}, retention ${settings.retentionDays} d` +
        (ready.addedSearchAttributes.length > 0 ? `, added search attributes ${ready.addedSearchAttributes.join(', ')}` : '') +
        ` (${Date.now() - started} ms)`,
    );
  } finally {
    await connection.close();
  }
  return binaries;
}

export async function clusterDown(settings: ClusterSettings, say: Say): Promise<void> {
  for (const name of STOP_ORDER) {
    if (await stopProcess(settings, name)) say(`${name}: stopped`);
  }
}

export function clusterStatus(settings: ClusterSettings): ProcessState[] {
  return ALL_PROCESSES.map((name) => processState(settings, name));
}

export async function frontendAnswers(settings: ClusterSettings): Promise<boolean> {
  try {
    await waitForFrontend(settings.frontendAddress, 10_000, () => undefined); // generous: a busy 2-core machine
    return true;
  } catch {
    return false;
  }
}

export async function clusterReset(settings: ClusterSettings, say: Say): Promise<void> {
  await clusterDown(settings, say);
  const dropped = await dropDatabases(installClusterBinaries(), settings);
  say(
    dropped.length > 0 ? `dropped databases ${dropped.join(', ')}: every workflow and namespace in them is gone` : 'no databases to drop',
  );
}
