import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type DevServer, type DevServerOptions } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import type { StackServer } from './stack';
import { testEnv } from './temporal-env';

/** A dev server of a suite's own (its own database file, Web UI, flags), with the connections a stack needs. */
export interface OwnServer extends StackServer {
  devServer: DevServer;
  stop(): Promise<void>;
}

export async function startOwnServer(options: Partial<DevServerOptions> = {}): Promise<OwnServer> {
  const devServer = await startDevServer({ binary: testEnv().cliPath, port: await freePort(), ...options });
  const clientConnection = await Connection.connect({ address: devServer.address });
  const workerConnection = await NativeConnection.connect({ address: devServer.address });
  return {
    devServer,
    address: devServer.address,
    namespace: devServer.namespace,
    clientConnection,
    workerConnection,
    async stop() {
      await workerConnection.close();
      await clientConnection.close();
      await devServer.stop();
    },
  };
}
