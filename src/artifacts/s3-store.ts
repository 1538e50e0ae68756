import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { describeBody } from './digest';
import { checkKey, keySegment, type ArtifactDownload, type ArtifactMeta, type ArtifactStore, type ByteRange } from './store';

export interface S3StoreOptions {
  bucket: string;
  /** Prepended to every key (`reports/` → `reports/<job id>/<name>`). */
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** Unset: the AWS SDK's default chain (env, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Object metadata keys (S3 lower-cases them and sends them as `x-amz-meta-*`). */
const META_SHA256 = 'sha256';
const META_CREATED = 'created';

/**
 * Artifacts as objects `<prefix><job id>/<name>` in one bucket. A PUT replaces an object whole and
 * atomically, so a retried attempt overwrites its earlier artifact under the same key; the sha256 and
 * creation time travel as object metadata, so listing needs no side file.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3';
  readonly client: S3Client;

  constructor(private readonly options: S3StoreOptions) {
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      // Only send checksums S3 requires: several S3-compatible servers reject the SDK's newer defaults.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  key(jobId: string, name: string): string {
    return `${this.options.prefix}${keySegment(jobId)}/${name}`;
  }

  async put(jobId: string, name: string, contentType: string, body: Buffer): Promise<ArtifactMeta> {
    checkKey(jobId, name);
    const meta = describeBody(name, contentType, body);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.key(jobId, name),
        Body: body,
        ContentType: contentType,
        ContentLength: body.length,
        Metadata: { [META_SHA256]: meta.sha256, [META_CREATED]: meta.created },
      }),
    );
    return meta;
  }

  async list(jobId: string): Promise<ArtifactMeta[]> {
    checkKey(jobId, undefined);
    const prefix = `${this.options.prefix}${keySegment(jobId)}/`;
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) names.push(object.Key.slice(prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // A listing has no content type or metadata: one HEAD per artifact (a report has a handful).
    const metas = await Promise.all(names.sort().map((name) => this.stat(jobId, name)));
    return metas.filter((meta): meta is ArtifactMeta => meta !== undefined);
  }

  async stat(jobId: string, name: string): Promise<ArtifactMeta | undefined> {
    checkKey(jobId, name);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(jobId, name) }));
      return metaOf(name, head);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async open(jobId: string, name: string, range?: ByteRange): Promise<ArtifactDownload | undefined> {
    checkKey(jobId, name);
    try {
      const object = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: this.key(jobId, name),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      if (!(object.Body instanceof Readable)) throw new Error('the S3 client returned a body that is not a Node stream');
      const size = range ? (sizeFromContentRange(object.ContentRange) ?? 0) : (object.ContentLength ?? 0);
      return { meta: metaOf(name, { ...object, ContentLength: size }), body: object.Body };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }
}

function metaOf(
  name: string,
  head: Pick<HeadObjectCommandOutput, 'ContentType' | 'ContentLength' | 'Metadata' | 'LastModified'>,
): ArtifactMeta {
  return {
    name,
    contentType: head.ContentType ?? 'application/octet-stream',
    size: head.ContentLength ?? 0,
    sha256: head.Metadata?.[META_SHA256] ?? '',
    created: head.Metadata?.[META_CREATED] ?? head.LastModified?.toISOString() ?? '',
  };
}

/** `bytes 0-9/1234` → 1234: a ranged GET's ContentLength is the range's, not the artifact's. */
export function sizeFromContentRange(contentRange: string | undefined): number | undefined {
  const match = /\/(\d+)$/.exec(contentRange ?? '');
  return match ? Number(match[1]) : undefined;
}

function isMissing(err: unknown): boolean {
  if (err instanceof NoSuchKey || err instanceof NotFound) return true;
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
}
