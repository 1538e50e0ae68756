import type { ArtifactsConfig } from '../config';
import { FsArtifactStore } from './fs-store';
import { S3ArtifactStore } from './s3-store';
import type { ArtifactStore } from './store';

export type { ArtifactMeta, ArtifactStore } from './store';

/** The store the configuration names: the local filesystem by default, or an S3-compatible bucket. */
export function createArtifactStore(config: ArtifactsConfig): ArtifactStore {
  if (config.store === 'fs') return new FsArtifactStore(config.dir);
  return new S3ArtifactStore(config);
}
