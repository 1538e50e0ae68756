import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import express from 'express';
import request from 'supertest';
import { setPrincipal } from '../src/auth/principal';
import { codecRouter } from '../src/api/routes/codec';
import { problemHandler } from '../src/api/problem';
import { ConfigError, loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { AesGcmCodec } from '../src/temporal/codec/aes-gcm-codec';
import { EncryptionKeyring } from '../src/temporal/codec/keyring';
import { useStack } from './support/use-stack';

const key = () => randomBytes(32).toString('base64');
const UI = 'http://127.0.0.1:8233';
const b64 = (text: string) => Buffer.from(text).toString('base64');
const jsonPayload = (value: unknown) => ({ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) });

describe('JOBLINE_ENCRYPTION_KEYS', () => {
  it('takes id:base64key pairs, the first being the current key, and never shows key material', () => {
    const [a, b] = [key(), key()];
    const config = loadConfig({ JOBLINE_ENCRYPTION_KEYS: ` new:${a} , old:${b}` });
    assert.equal(config.encryption?.currentKeyId, 'new');
    assert.deepEqual(config.encryption?.keyIds, ['new', 'old']);
    const shown = `${JSON.stringify(config)} ${inspect(config, { depth: 10 })}`;
    for (const secret of [a, b, Buffer.from(a, 'base64').toString('hex')])
      assert.ok(!shown.includes(secret), 'no key in the printed config');
    assert.equal(loadConfig({}).encryption, undefined);
  });

  it('refuses a bad value at start-up naming the variable, never echoing the key', () => {
    const short = randomBytes(16).toString('base64');
    for (const [value, pattern] of [
      [`k1:${short}`, /key "k1" is 16 bytes; AES-256 needs exactly 32/],
      [short, /entry 1 is not `id:base64key`/],
      [`k1:${key()},k1:${key()}`, /key id "k1" appears twice/],
      [`k1:not*base64`, /key "k1" is not base64/],
      [`bad id:${key()}`, /entry 1: the key id/],
    ] as const) {
      assert.throws(
        () => loadConfig({ JOBLINE_ENCRYPTION_KEYS: value }),
        (err: Error) =>
          err instanceof ConfigError &&
          /JOBLINE_ENCRYPTION_KEYS: /.test(err.message) &&
          pattern.test(err.message) &&
          !err.message.includes(short),
        value,
      );
    }
  });
});

describe('the payload codec', () => {
  it('encrypts every payload with a fresh IV and passes payloads that are not encrypted through', async () => {
    const codec = new AesGcmCodec(EncryptionKeyring.parse(`k1:${key()}`));
    const plain = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hello"') };
    const [x, y] = await codec.encode([plain, plain]);
    assert.notDeepEqual(Buffer.from(x!.data!), Buffer.from(y!.data!), 'a fresh IV per payload');
    assert.ok(!Buffer.from(x!.data!).includes('hello'));
    const [back] = await codec.decode([x!]);
    assert.equal(Buffer.from(back!.data!).toString(), '"hello"');
    assert.equal(Buffer.from(back!.metadata!.encoding!).toString(), 'json/plain');
    const [untouched] = await codec.decode([plain]);
    assert.equal(untouched, plain);
  });
});

describe('the codec server (/codec/decode, /codec/encode)', () => {
  const ctx = useStack({ worker: false, env: { JOBLINE_ENCRYPTION_KEYS: `k1:${key()}`, TEMPORAL_UI_URL: UI } });
  const off = useStack({ worker: false });

  it('encodes and decodes Temporal’s codec JSON, for the Web UI’s origin under CORS', async () => {
    const api = request(ctx.stack.baseUrl);
    const encoded = await api
      .post('/codec/encode')
      .set('Origin', UI)
      .set('X-Namespace', 'default')
      .send({ payloads: [jsonPayload({ secret: 'p4ss' })] })
      .expect(200);
    assert.equal(encoded.headers['access-control-allow-origin'], UI);
    assert.equal(encoded.headers['access-control-allow-credentials'], 'true');
    const sealed = encoded.body.payloads[0];
    assert.equal(Buffer.from(sealed.metadata.encoding, 'base64').toString(), 'binary/encrypted');
    assert.equal(Buffer.from(sealed.metadata['encryption-key-id'], 'base64').toString(), 'k1');
    assert.ok(!Buffer.from(sealed.data, 'base64').includes('p4ss'));

    const decoded = await api
      .post('/codec/decode')
      .set('Origin', 'http://localhost:8233')
      .send({ payloads: [sealed, jsonPayload(1)] })
      .expect(200);
    assert.deepEqual(decoded.body.payloads, [jsonPayload({ secret: 'p4ss' }), jsonPayload(1)]);
  });

  it('answers the Web UI’s preflight, and grants no other origin', async () => {
    const api = request(ctx.stack.baseUrl);
    const preflight = await api
      .options('/codec/decode')
      .set('Origin', UI)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-namespace')
      .expect(204);
    assert.equal(preflight.headers['access-control-allow-origin'], UI);
    assert.match(preflight.headers['access-control-allow-headers'] ?? '', /Content-Type, X-Namespace, Authorization/);
    assert.match(preflight.headers['access-control-allow-methods'] ?? '', /POST/);

    const foreign = await api.options('/codec/decode').set('Origin', 'https://evil.example').expect(204);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    const refused = await api.post('/codec/decode').set('Origin', 'https://evil.example').send({ payloads: [] }).expect(403);
    assert.equal(refused.body.type, '/problems/cross-site-request');
  });

  it('refuses bad bodies and payloads it cannot open with a 400 problem', async () => {
    const api = request(ctx.stack.baseUrl);
    for (const body of [{}, { payloads: 'x' }, { payloads: [{ data: '***' }] }, { payloads: [], extra: 1 }]) {
      const res = await api.post('/codec/decode').send(body).expect(400);
      assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
    }
    const other = await new AesGcmCodec(EncryptionKeyring.parse(`zz:${key()}`)).encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('1') },
    ]);
    const json = {
      metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('zz') },
      data: Buffer.from(other[0]!.data!).toString('base64'),
    };
    const res = await api
      .post('/codec/decode')
      .send({ payloads: [json] })
      .expect(400);
    assert.match(res.body.detail, /key "zz"/);
    await api.post('/codec/decode').set('Content-Type', 'text/plain').send('{"payloads":[]}').expect(415);
  });

  it('is 404 without keys', async () => {
    const res = await request(off.stack.baseUrl).post('/codec/decode').send({ payloads: [] }).expect(404);
    assert.match(res.body.detail, /JOBLINE_ENCRYPTION_KEYS/);
  });

  it('needs the operator role: a reader key gets 403, an operator key is served', async () => {
    const codec = new AesGcmCodec(EncryptionKeyring.parse(`k1:${key()}`));
    const appAs = (role: 'reader' | 'submitter' | 'operator') => {
      const app = express();
      app.use((_req, res, next) => {
        setPrincipal(res, { keyId: `key-${role}`, tenant: 'acme', role, weight: 1 });
        next();
      });
      app.use(codecRouter({ codec, corsOrigins: [UI] }));
      app.use(problemHandler(logger));
      return app;
    };
    for (const role of ['reader', 'submitter'] as const) {
      const res = await request(appAs(role)).post('/codec/decode').set('Origin', UI).send({ payloads: [] }).expect(403);
      assert.equal(res.body.type, '/problems/forbidden');
      assert.equal(res.headers['access-control-allow-origin'], UI, 'the UI can read why');
    }
    await request(appAs('operator')).post('/codec/decode').send({ payloads: [] }).expect(200, { payloads: [] });
  });
});
