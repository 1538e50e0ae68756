import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../src/config';

describe('configuration', () => {
  it('defaults to the embedded dev server and sane limits', () => {
    const config = loadConfig({});
    assert.equal(config.temporal.address, undefined);
    assert.equal(config.temporal.namespace, 'default');
    assert.equal(config.api.port, 3000);
    assert.equal(config.embedded.retentionDays, 7);
    assert.match(config.embedded.dbFile, /data\/temporal\.db$/);
    assert.equal(config.allowPrivateTargets, false);
  });

  it('reads booleans as people write them', () => {
    assert.equal(loadConfig({ JOBLINE_ALLOW_PRIVATE_TARGETS: '1' }).allowPrivateTargets, true);
    assert.equal(loadConfig({ JOBLINE_ALLOW_PRIVATE_TARGETS: '0' }).allowPrivateTargets, false);
    assert.equal(loadConfig({ JOBLINE_ALLOW_PRIVATE_TARGETS: 'false' }).allowPrivateTargets, false);
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ TEMPORAL_ADDRESS: '' }).temporal.address, undefined);
  });

  it('names every invalid variable in one error', () => {
    assert.throws(
      () => loadConfig({ JOBLINE_API_PORT: 'eighty', LOG_LEVEL: 'loud', JOBLINE_ALLOW_PRIVATE_TARGETS: 'maybe' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        for (const name of ['JOBLINE_API_PORT', 'LOG_LEVEL', 'JOBLINE_ALLOW_PRIVATE_TARGETS']) assert.match(err.message, new RegExp(name));
        assert.equal(err.problems.length, 3);
        return true;
      },
    );
  });

  it('reads the OTLP endpoint that turns tracing on, and names a bad one', () => {
    assert.equal(loadConfig({}).tracing.endpoint, undefined);
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing.endpoint, 'http://collector:4318');
    assert.throws(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' }), /OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('turns on TLS for a remote server when a client certificate or API key is given', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'ns.tmprl.cloud:7233', TEMPORAL_API_KEY: 'secret' });
    assert.deepEqual(config.temporal.apiKey, 'secret');
    assert.ok(config.temporal.tls);
    assert.throws(() => loadConfig({ TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_CERT_PATH: '/c.pem' }), /set together/);
  });
});
