import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

/** s3rver: an S3-compatible server (REST API, on disk) in this process, on a free port. */
export interface S3Server {
  endpoint: string;
  bucket: string;
  /** Env for startStack / loadConfig that points the artifact store at it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startS3Server(): Promise<S3Server> {
  // The SDK warns once per process that its 2027 releases need Node 22; tests need not repeat it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'jobline-s3-'));
  const bucket = 'jobline-artifacts';
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: {
      JOBLINE_ARTIFACT_STORE: 's3',
      JOBLINE_S3_ENDPOINT: endpoint,
      JOBLINE_S3_BUCKET: bucket,
      JOBLINE_S3_PREFIX: 'reports/',
      JOBLINE_S3_FORCE_PATH_STYLE: '1',
      // s3rver's fixed development credentials.
      JOBLINE_S3_ACCESS_KEY_ID: 'S3RVER',
      JOBLINE_S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    async stop() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
