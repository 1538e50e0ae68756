import { pipeline } from 'node:stream/promises';
import { Router, type Response } from 'express';
import type { ArtifactMeta, ArtifactStore } from '../../artifacts';
import { principalOf, type Principal } from '../../auth/principal';
import { InvalidArtifactKeyError } from '../../artifacts/store';
import { parseByteRange } from '../byte-range';
import type { JobReader } from '../job-reader';
import { HttpProblem } from '../problem';
import { jobIdParam } from './params';

const artifactPath = (id: string, name: string) => `/v1/jobs/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(name)}`;

function withLink(id: string, meta: ArtifactMeta) {
  return { ...meta, links: { download: artifactPath(id, meta.name) } };
}

/** Runs a store call, turning a key the store refuses (a crafted id or name) into a 404 rather than a 500. */
async function guarded<T>(call: () => Promise<T>, notFound: () => HttpProblem): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof InvalidArtifactKeyError) throw notFound();
    throw err;
  }
}

/**
 * A job's artifacts, read from the artifact store rather than the job's result: they outlive the job's
 * retention in Temporal. The store knows no tenants, so a key that is not an admin's sees them only while
 * the job it belongs to is there and its tenant's (the same 404 as a missing job otherwise); an admin (and
 * open mode) reads them after the job's retention too.
 */
export function artifactsRouter(store: ArtifactStore, reader: JobReader): Router {
  const router = Router();
  router.param('id', jobIdParam);
  const noJob = (id: string) => () => new HttpProblem(404, 'job-not-found', `no job ${id}`);
  const checkTenant = async (id: string, principal: Principal) => {
    if (principal.role !== 'admin') await reader.describe(id, principal);
  };

  router.get('/v1/jobs/:id/artifacts', async (req, res) => {
    const { id } = req.params;
    const principal = principalOf(res);
    await checkTenant(id, principal);
    const artifacts = await guarded(() => store.list(id), noJob(id));
    // No artifacts: tell an unknown job (404) from one that has none yet (an empty list).
    if (artifacts.length === 0 && principal.role === 'admin') await reader.describe(id, principal);
    res.json({ jobId: id, artifacts: artifacts.map((meta) => withLink(id, meta)) });
  });

  router.get('/v1/jobs/:id/artifacts/:name', async (req, res) => {
    const { id, name } = req.params;
    await checkTenant(id, principalOf(res));
    const missing = () => new HttpProblem(404, 'artifact-not-found', `job ${id} has no artifact "${name}"`);
    const meta = await guarded(() => store.stat(id, name), missing);
    if (!meta) throw missing();
    const range = parseByteRange(req.get('range'), meta.size);
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${meta.size}`);
      throw new HttpProblem(416, 'range-not-satisfiable', `the artifact has ${meta.size} bytes`);
    }
    const download = await store.open(id, name, range);
    if (!download) throw missing();
    setHeaders(res, download.meta);
    if (range) {
      res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${meta.size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
    }
    await pipeline(download.body, res);
  });

  return router;
}

function setHeaders(res: Response, meta: ArtifactMeta): void {
  res.setHeader('Content-Type', meta.contentType);
  res.setHeader('Content-Length', String(meta.size));
  res.setHeader('Accept-Ranges', 'bytes');
  // A strong validator that never changes for given bytes.
  res.setHeader('ETag', `"${meta.sha256}"`);
  res.setHeader('X-Checksum-Sha256', meta.sha256);
  res.setHeader('Content-Disposition', `inline; filename="${meta.name}"`);
}
