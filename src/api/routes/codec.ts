import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { PayloadCodec } from '@temporalio/common';
import { principalOf, roleAllows } from '../../auth/principal';
import { webUiUrl, type Config } from '../../config';
import { AesGcmCodec } from '../../temporal/codec/aes-gcm-codec';
import { CodecRequest, fromJson, toJson } from '../../temporal/codec/codec-json';
import { PayloadDecryptionError } from '../../temporal/codec/aes-gcm-codec';
import { jsonDepthGuard } from '../json-depth';
import { HttpProblem, validationProblem } from '../problem';

export interface CodecServerOptions {
  /** Undefined: no keys are configured, and /codec/* answers 404. */
  codec?: PayloadCodec;
  /** Origins (`http://127.0.0.1:8233`) whose pages may call the codec: the Web UI's. */
  corsOrigins: readonly string[];
}

/** The codec server as a Jobline process builds it from its Config: the Web UI's origin (either loopback name) and extras. */
export function codecServerOptionsFrom(config: Config): CodecServerOptions {
  const origins = new Set(config.codecCorsOrigins);
  const ui = webUiUrl(config);
  if (ui) {
    const url = new URL(ui);
    origins.add(url.origin);
    // The same page is reached as localhost or 127.0.0.1 alike.
    for (const [name, alias] of [
      ['127.0.0.1', 'localhost'],
      ['localhost', '127.0.0.1'],
    ] as const) {
      if (url.hostname === name) origins.add(`${url.protocol}//${alias}${url.port ? `:${url.port}` : ''}`);
    }
  }
  return { codec: config.encryption ? new AesGcmCodec(config.encryption) : undefined, corsOrigins: [...origins] };
}

/** A history page of the Web UI sends every payload it shows at once; a payload may be 2 MiB (server limit). */
export const CODEC_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/** Headers the Web UI sends (Authorization only with its "pass access token" setting). */
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';

/**
 * Temporal's codec server (`POST /codec/decode`, `/codec/encode`), so the Web UI and `temporal --codec-endpoint`
 * show decrypted inputs and results. Mounted before the API's cross-site guard: the Web UI is another origin,
 * so this router grants CORS to the configured origins itself, and refuses any other foreign origin.
 */
export function codecRouter(options: CodecServerOptions): Router {
  const router = Router();
  const allowed = new Set(options.corsOrigins);
  router.use('/codec', corsFor(allowed));
  router.use('/codec', express.json({ limit: CODEC_BODY_LIMIT_BYTES, strict: false, type: 'application/json' }), jsonDepthGuard());

  const convert = (direction: 'encode' | 'decode') => async (req: Request, res: Response) => {
    if (!options.codec) throw new HttpProblem(404, 'not-found', 'payload encryption is off: set JOBLINE_ENCRYPTION_KEYS');
    const principal = principalOf(res);
    if (!roleAllows(principal.role, 'operator')) {
      throw new HttpProblem(403, 'forbidden', `the codec needs the operator role; this key has ${principal.role}`);
    }
    const body = CodecRequest.safeParse(req.body);
    if (!body.success) throw validationProblem(body.error);
    try {
      const payloads = await options.codec[direction](body.data.payloads.map(fromJson));
      res.json({ payloads: payloads.map(toJson) });
    } catch (err) {
      if (err instanceof PayloadDecryptionError) throw new HttpProblem(400, 'invalid-request', err.message);
      throw err;
    }
  };
  router.post('/codec/decode', convert('decode'));
  router.post('/codec/encode', convert('encode'));
  return router;
}

/**
 * CORS for the allowed origins (credentials too: the UI may be set to include cookies); a foreign origin
 * that is not the API's own gets no CORS headers, and its POST is refused as the cross-site guard would.
 * Preflights are answered here, before authentication: browsers send them without credentials.
 */
function corsFor(allowed: ReadonlySet<string>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    res.vary('Origin');
    const granted = origin !== undefined && allowed.has(origin);
    if (granted) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      if (granted) {
        res.set('Access-Control-Allow-Methods', 'POST');
        res.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
        res.set('Access-Control-Max-Age', '600');
      }
      res.status(204).end();
      return;
    }
    if (req.method !== 'POST') {
      next();
      return;
    }
    if (origin !== undefined && !granted && !isSameOrigin(origin, req)) {
      next(
        new HttpProblem(403, 'cross-site-request', 'this origin may not call the codec; add it to JOBLINE_CODEC_CORS_ORIGINS', {
          errors: [{ field: 'header:Origin', message: 'not an allowed origin' }],
        }),
      );
      return;
    }
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
      next(new HttpProblem(415, 'unsupported-media-type', 'send the body as JSON with Content-Type: application/json'));
      return;
    }
    next();
  };
}

function isSameOrigin(origin: string, req: Request): boolean {
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
