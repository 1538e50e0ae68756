import { randomBytes } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { deleteClusterNamespace, prepareClusterNamespace } from '../../src/temporal/cluster/namespace';
import { frontendAnswers } from '../../src/temporal/cluster/lifecycle';
import { loadClusterSettings } from '../../src/temporal/cluster/settings';
import type { TestServer } from './temporal-env';

/**
 * The full server of `npm run cluster -- up`, in a fresh namespace per run (`jobline-test-<random>`), so
 * that runs never see each other's workflows and a list or count sees only this run's jobs. The
 * namespace is deleted when the run ends (the server's worker service removes its workflows).
 */
export async function startClusterTarget(): Promise<TestServer> {
  const settings = loadClusterSettings();
  if (!(await frontendAnswers(settings))) {
    throw new Error(
      `JOBLINE_TEST_TEMPORAL=cluster: no Temporal frontend answers at ${settings.frontendAddress}; start it with \`npm run cluster -- up\``,
    );
  }
  const namespace = `jobline-test-${randomBytes(4).toString('hex')}`;
  const connection = await Connection.connect({ address: settings.frontendAddress });
  try {
    await prepareClusterNamespace(connection, namespace, 1);
  } finally {
    await connection.close();
  }
  return {
    address: settings.frontendAddress,
    namespace,
    async stop() {
      const admin = await Connection.connect({ address: settings.frontendAddress });
      try {
        await deleteClusterNamespace(admin, namespace);
      } finally {
        await admin.close();
      }
    },
  };
}
