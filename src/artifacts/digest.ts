import { createHash } from 'node:crypto';
import type { ArtifactMeta } from './store';

export function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The metadata of a body about to be stored. */
export function describeBody(name: string, contentType: string, body: Buffer): ArtifactMeta {
  return { name, contentType, size: body.length, sha256: sha256Hex(body), created: new Date().toISOString() };
}
