import dns from 'node:dns';
import net from 'node:net';
import { Agent } from 'undici';

/** Address ranges a job must not reach unless private targets are allowed (SSRF protection). */
const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
  return blocked.check(address, family);
}

export class TargetNotAllowedError extends Error {
  constructor(host: string, address: string) {
    super(
      `refusing to call ${host} (${address}): private, loopback and link-local targets are blocked; ` +
        'set JOBLINE_ALLOW_PRIVATE_TARGETS=1 to allow them (tests and local demos)',
    );
    this.name = 'TargetNotAllowed';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` replacement for the HTTP agent: every address a connection is about to use is checked,
 * so a redirect or a DNS answer that changes after validation cannot reach a private host.
 */
export function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((entry) => isPrivateAddress(entry.address));
    if (bad) return callback(new TargetNotAllowedError(hostname, bad.address) as NodeJS.ErrnoException, []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
}

/** The HTTP agent outgoing job calls use: every connection checked by `guardedLookup` unless private targets are allowed. */
export function guardedAgent(allowPrivateTargets: boolean): Agent {
  return new Agent({ connect: allowPrivateTargets ? {} : { lookup: guardedLookup }, keepAliveTimeout: 10_000 });
}

/** An IP literal never reaches a lookup, so it is checked before the call. */
export function assertPublicLiteral(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && isPrivateAddress(host)) throw new TargetNotAllowedError(url.hostname, host);
  if (host === 'localhost' || host.endsWith('.localhost')) throw new TargetNotAllowedError(url.hostname, 'loopback');
}
