import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describeBody } from './digest';
import { checkKey, keySegment, type ArtifactDownload, type ArtifactMeta, type ArtifactStore, type ByteRange } from './store';

const META_SUFFIX = '.meta.json';
const BLOBS = 'blobs';

/**
 * Artifacts as files: the metadata in `<dir>/<job id>/<name>.meta.json`, the bytes in
 * `<dir>/<job id>/blobs/<sha256>`. Every file is written to a temp name in its directory, fsynced and
 * renamed into place, so a reader or a crash sees an old file or a new one, never half of one. The
 * metadata's rename is the one commit point: it names its body by hash, so even two attempts writing the
 * same artifact at once (a zombie attempt and its retry) leave metadata that matches the bytes it names.
 */
export class FsArtifactStore implements ArtifactStore {
  readonly kind = 'fs';

  constructor(private readonly dir: string) {}

  async put(jobId: string, name: string, contentType: string, body: Buffer): Promise<ArtifactMeta> {
    checkKey(jobId, name);
    const jobDir = path.join(this.dir, keySegment(jobId));
    await fsp.mkdir(path.join(jobDir, BLOBS), { recursive: true });
    const meta = describeBody(name, contentType, body);
    // The body first: metadata that exists always names a complete body.
    await writeAtomically(path.join(jobDir, BLOBS, meta.sha256), body);
    await writeAtomically(path.join(jobDir, name + META_SUFFIX), Buffer.from(JSON.stringify(meta)));
    return meta;
  }

  async list(jobId: string): Promise<ArtifactMeta[]> {
    checkKey(jobId, undefined);
    const entries = await fsp.readdir(path.join(this.dir, keySegment(jobId))).catch(ifMissing([] as string[]));
    const names = entries.filter((entry) => entry.endsWith(META_SUFFIX)).map((entry) => entry.slice(0, -META_SUFFIX.length));
    const metas = await Promise.all(names.sort().map((name) => this.stat(jobId, name)));
    return metas.filter((meta): meta is ArtifactMeta => meta !== undefined);
  }

  async stat(jobId: string, name: string): Promise<ArtifactMeta | undefined> {
    checkKey(jobId, name);
    const raw = await fsp.readFile(path.join(this.dir, keySegment(jobId), name + META_SUFFIX), 'utf8').catch(ifMissing(undefined));
    return raw === undefined ? undefined : (JSON.parse(raw) as ArtifactMeta);
  }

  async open(jobId: string, name: string, range?: ByteRange): Promise<ArtifactDownload | undefined> {
    const meta = await this.stat(jobId, name);
    if (!meta) return undefined;
    const body = fs.createReadStream(
      path.join(this.dir, keySegment(jobId), BLOBS, meta.sha256),
      range ? { start: range.start, end: range.end } : {},
    );
    return { meta, body };
  }
}

async function writeAtomically(file: string, body: Buffer): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    const handle = await fsp.open(temp, 'w');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temp, file);
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw err;
  }
}

/**
 * ENOENT, and ENAMETOOLONG: a job id may be up to 1,000 characters but a directory name only 255 bytes, so
 * nothing was ever stored under a name that long.
 */
function ifMissing<T>(fallback: T): (err: unknown) => T {
  return (err) => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENAMETOOLONG') return fallback;
    throw err;
  };
}
