import assert from 'node:assert/strict';
import type dns from 'node:dns';
import { fetch } from 'undici';
import {
  addressRefusal,
  guardedAgent,
  guardedLookup,
  isPublicAddress,
  literalTargetRefusal,
  TargetNotAllowedError,
} from '../src/activities/network-guard';
import { printableUrl, withoutUserinfo } from '../src/activities/printable-url';
import { isSecretHeader, SECRET_HEADER_NAMES } from '../src/jobs/secret-headers';
import { startTarget, type Target } from './support/target';

/** Address, and what it is: every class the guard must refuse, and public ones it must let through. */
const REFUSED: Array<[string, RegExp]> = [
  ['127.0.0.1', /loopback/],
  ['127.255.255.254', /loopback/],
  ['10.1.2.3', /private/],
  ['172.16.0.1', /private/],
  ['192.168.1.1', /private/],
  ['169.254.169.254', /linkLocal/],
  ['100.64.0.1', /carrierGradeNat/],
  ['224.0.0.1', /multicast/],
  ['255.255.255.255', /broadcast/],
  ['0.0.0.0', /unspecified/],
  ['0.1.2.3', /unspecified/],
  ['192.0.2.1', /reserved/], // documentation
  ['198.18.0.1', /reserved/], // benchmarking
  ['240.0.0.1', /reserved/],
  ['::', /unspecified/],
  ['::1', /loopback/],
  // IPv4-compatible (deprecated): refused whatever the IPv4 address is. ipaddr.js alone reads it as mapped.
  ['::127.0.0.1', /IPv4-compatible/],
  ['::7f00:1', /IPv4-compatible/],
  ['::8.8.8.8', /IPv4-compatible/],
  // IPv4-mapped: judged as the IPv4 address.
  ['::ffff:127.0.0.1', /loopback address 127\.0\.0\.1 embedded in IPv6 as IPv4-mapped/],
  ['::ffff:7f00:1', /loopback address 127\.0\.0\.1/],
  ['::ffff:a9fe:a9fe', /linkLocal address 169\.254\.169\.254/],
  // NAT64, well-known prefix: judged as the IPv4 address; the local-use prefix is refused.
  ['64:ff9b::7f00:1', /loopback address 127\.0\.0\.1 embedded in IPv6 as NAT64/],
  ['64:ff9b::a00:1', /private address 10\.0\.0\.1/],
  ['64:ff9b::127.0.0.1', /loopback address 127\.0\.0\.1/],
  ['64:ff9b:1::808:808', /NAT64 local-use/],
  // 6to4: judged as the IPv4 address in bits 16-47.
  ['2002:7f00:1::', /loopback address 127\.0\.0\.1 embedded in IPv6 as 6to4/],
  ['2002:c0a8:101::1', /private address 192\.168\.1\.1/],
  ['2001::1', /Teredo/],
  ['::ffff:0:7f00:1', /rfc6145/], // IPv4-translated (SIIT)
  ['fe80::1', /linkLocal/],
  ['fe80::1%eth0', /linkLocal/],
  ['fc00::1', /uniqueLocal/],
  ['fd12:3456::1', /uniqueLocal/],
  ['fec0::1', /outside IPv6 global unicast|deprecated/],
  ['ff02::1', /multicast/],
  ['2001:db8::1', /reserved/], // documentation
  ['100::1', /discard/],
  ['4000::1', /outside IPv6 global unicast/], // unassigned: ipaddr.js calls it unicast
  ['not-an-address', /not an IP address/],
  ['2130706433', /not an IP address/], // only Node's plain forms count as addresses
];

const PUBLIC = [
  '8.8.8.8',
  '93.184.216.34',
  '172.32.0.1',
  '1.1.1.1',
  '2606:4700::1111',
  '2a00:1450:4001:80b::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('network guard: what an address is', () => {
  for (const [address, reason] of REFUSED) {
    it(`refuses ${address}`, () => {
      const refusal = addressRefusal(address);
      assert.ok(refusal, `${address} passed`);
      assert.match(refusal, reason);
      assert.equal(isPublicAddress(address), false);
    });
  }

  it('lets public unicast addresses through, also inside IPv6 forms that carry a public IPv4 address', () => {
    for (const address of PUBLIC) assert.equal(addressRefusal(address), undefined, address);
  });
});

describe('network guard: literal targets in URLs', () => {
  const refused = [
    'http://127.0.0.1/',
    'http://2130706433/', // WHATWG URL turns decimal, octal and hex forms into 127.0.0.1
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://0.0.0.0/',
    'http://0/',
    'http://10.0.0.1:8080/x',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]:3000/',
    'http://[::]/',
    'http://[::127.0.0.1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://[fe80::1]/',
    'http://[fc00::1]/',
    'http://[2002:7f00:1::]/',
    'http://localhost/',
    'http://LOCALHOST./',
    'http://api.localhost/',
  ];
  for (const url of refused) {
    it(`refuses ${url}`, () => assert.ok(literalTargetRefusal(new URL(url)), url));
  }

  it('leaves names to the lookup and lets public literals through', () => {
    for (const url of [
      'https://example.com/',
      'http://8.8.8.8/',
      'https://[2606:4700::1111]/',
      'http://localhost.example.com/',
      'http://mylocalhost/',
    ]) {
      assert.equal(literalTargetRefusal(new URL(url)), undefined, url);
    }
  });
});

describe('network guard: names are checked when they resolve', () => {
  let target: Target;
  before(async () => {
    target = await startTarget([200]);
  });
  after(() => target.close());

  const lookup = (hostname: string, options: dns.LookupOptions) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      guardedLookup(hostname, options, (err, address) => resolve({ err, address })),
    );

  it('refuses a name that resolves to loopback, with and without all: true', async () => {
    for (const options of [{}, { all: true }]) {
      const { err } = await lookup('localhost', options);
      assert.ok(err instanceof TargetNotAllowedError, String(err));
      assert.match(err.message, /refusing to call localhost \((127\.0\.0\.1|::1): loopback address\)/);
    }
  });

  it('answers like dns.lookup for a public address', async () => {
    // An IP address resolves to itself without any network.
    assert.deepEqual(await lookup('8.8.8.8', {}), { err: null, address: '8.8.8.8' });
    const all = await lookup('2606:4700::1111', { all: true });
    assert.deepEqual(all.address, [{ address: '2606:4700::1111', family: 6 }]);
  });

  it('the guarded agent opens no connection to a name that resolves to loopback', async () => {
    const url = target.url.replace('127.0.0.1', 'localhost');
    const error = await fetch(url, { dispatcher: guardedAgent(false) }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(error, 'the call went through');
    assert.ok((error as { cause?: unknown }).cause instanceof TargetNotAllowedError, String((error as { cause?: unknown }).cause));
    assert.equal(target.calls.length, 0);
  });

  it('the agent that allows private targets does connect (the guard, not the target, refused above)', async () => {
    const response = await fetch(target.url.replace('127.0.0.1', 'localhost'), { dispatcher: guardedAgent(true) });
    assert.equal(response.status, 200);
    await response.text();
    assert.equal(target.calls.length, 1);
  });
});

describe('printable URLs and secret headers', () => {
  it('drops userinfo and query values, keeps query names', () => {
    assert.equal(printableUrl('https://user:pw@example.com/hook?token=abc&page=2#x'), 'https://example.com/hook?token=…&page=…');
    assert.equal(printableUrl('http://example.com'), 'http://example.com/');
    assert.equal(printableUrl('not a url'), '(an invalid URL)');
  });

  it('removes userinfo from any URL in a text', () => {
    const text = 'Request cannot be constructed from a URL that includes credentials: https://user:s3cret@example.com/x';
    assert.equal(withoutUserinfo(text), 'Request cannot be constructed from a URL that includes credentials: https://example.com/x');
    assert.equal(withoutUserinfo('mail me at a@b.c'), 'mail me at a@b.c');
  });

  it('names the credential headers, in any case', () => {
    assert.deepEqual([...SECRET_HEADER_NAMES].sort(), ['authorization', 'cookie', 'proxy-authorization', 'x-api-key']);
    for (const name of ['Authorization', 'COOKIE', 'Proxy-Authorization', 'x-api-key']) assert.equal(isSecretHeader(name), true, name);
    for (const name of ['x-trace', 'content-type', 'set-cookie-ish']) assert.equal(isSecretHeader(name), false, name);
  });
});
