import dns from 'node:dns';
import { Agent } from 'undici';
import { addressRefusal, literalTargetRefusal } from '../net/address-class';

// SSRF protection at connect time: the HTTP agent outgoing job calls use. The address classes are in
// src/net/address-class.ts; this module does the I/O (DNS) around them.
export { addressRefusal, isPrivateAddress, isPublicAddress, literalTargetRefusal } from '../net/address-class';

export class TargetNotAllowedError extends Error {
  constructor(host: string, address: string, reason?: string) {
    super(
      `refusing to call ${host} (${address}${reason ? `: ${reason}` : ''}): private, loopback, link-local and other non-public targets are blocked; ` +
        'set JOBLINE_ALLOW_PRIVATE_TARGETS=1 to allow them (tests and local demos)',
    );
    this.name = 'TargetNotAllowed';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` replacement for the HTTP agent: every address a connection is about to use is checked,
 * so a redirect or a DNS answer that changes after validation cannot reach a private host. A name with
 * one non-public address among its answers is refused whole.
 */
export function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    for (const entry of addresses) {
      const refusal = addressRefusal(entry.address);
      if (refusal) return callback(new TargetNotAllowedError(hostname, entry.address, refusal) as NodeJS.ErrnoException, []);
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
}

/** The HTTP agent outgoing job calls use: every connection checked by `guardedLookup` unless private targets are allowed. */
export function guardedAgent(allowPrivateTargets: boolean): Agent {
  return new Agent({ connect: allowPrivateTargets ? {} : { lookup: guardedLookup }, keepAliveTimeout: 10_000 });
}

/** An IP literal never reaches a lookup, so it is checked before each call (every redirect hop included). */
export function assertPublicLiteral(url: URL): void {
  const refusal = literalTargetRefusal(url);
  if (refusal) throw new TargetNotAllowedError(url.hostname, url.hostname.replace(/^\[|\]$/g, ''), refusal);
}
