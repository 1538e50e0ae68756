import type { Readable } from 'node:stream';

/** What a job's result and `GET /v1/jobs/{id}/artifacts` say about an artifact: never its bytes. */
export interface ArtifactMeta {
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  /** ISO time the artifact was (last) written. */
  created: string;
}

/** An inclusive byte range, already checked against the artifact's size. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ArtifactDownload {
  meta: ArtifactMeta;
  /** The whole artifact, or `range` of it. */
  body: Readable;
}

/**
 * Where reports put their outputs. Keys are (job id, artifact name): writing the same pair again replaces
 * the artifact whole, so a retried attempt never leaves two copies or half a file.
 */
export interface ArtifactStore {
  readonly kind: 'fs' | 's3';
  put(jobId: string, name: string, contentType: string, body: Buffer): Promise<ArtifactMeta>;
  list(jobId: string): Promise<ArtifactMeta[]>;
  /** Undefined when there is no such artifact. */
  stat(jobId: string, name: string): Promise<ArtifactMeta | undefined>;
  open(jobId: string, name: string, range?: ByteRange): Promise<ArtifactDownload | undefined>;
}

/**
 * Job ids as the API makes them (type prefix, uuid or idempotency key), and pipeline nodes'
 * `{pipelineId}/{nodeId}`: `keySegment` turns either into one path segment or key part.
 */
export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,999}(\/[A-Za-z0-9._~-]{1,100})?$/;
/** Artifact names: a file name with an extension, no path. */
export const ARTIFACT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,126}\.[a-z0-9]{1,8}$/;

export class InvalidArtifactKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArtifactKeyError';
  }
}

/** Refuses keys that could escape the store's root (`..`, slashes) before any I/O. */
export function checkKey(jobId: string, name: string | undefined): void {
  if (!JOB_ID_PATTERN.test(jobId) || jobId.split('/').some((part) => part.includes('..')))
    throw new InvalidArtifactKeyError(`invalid job id "${jobId}"`);
  if (name !== undefined && (!ARTIFACT_NAME_PATTERN.test(name) || name.includes('..'))) {
    throw new InvalidArtifactKeyError(`invalid artifact name "${name}"`);
  }
}

/**
 * The job id as one directory name or key part: a pipeline node's `/` becomes `%2F`. Ids never contain `%`,
 * so a node's artifacts cannot meet another job's, and every other id stays as it is.
 */
export function keySegment(jobId: string): string {
  return encodeURIComponent(jobId);
}
