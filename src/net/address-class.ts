import net from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * SSRF protection for outgoing job calls. An address is allowed only when it is what a public server has:
 * IPv4 `unicast` and IPv6 global unicast (2000::/3, `unicast` in ipaddr.js's table). Everything else is
 * refused by what it is (loopback, private, link-local, unique-local, CGNAT, multicast, broadcast,
 * reserved, documentation, benchmarking, unspecified, unassigned, ...), so a form nobody listed fails
 * closed instead of getting through. IPv6 forms that carry an IPv4 address are judged by that address.
 *
 * Pure classification (no I/O), shared by the API (literal targets, refused at submission) and the
 * workers' guarded agent (every resolved address). Not for workflow code: it uses Node built-ins.
 */

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/** IPv4-compatible addresses (`::a.b.c.d`, RFC 4291 §2.5.5.1); `::` and `::1` are classified before. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
/** The NAT64 well-known prefix (RFC 6052): the IPv4 address is the last 32 bits. */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/** Why an address must not be called (a short phrase), or undefined when it is a public address. */
export function addressRefusal(address: string): string | undefined {
  // Fail closed: an answer that is not a plain address is not called. Node decides what a plain address
  // is; ipaddr.js would also read forms such as `2130706433`.
  try {
    if (net.isIPv4(address)) return ipv4Refusal(ipaddr.IPv4.parse(address));
    if (net.isIPv6(address)) return ipv6Refusal(ipaddr.IPv6.parse(withoutDottedQuad(address)));
  } catch {
    // falls through
  }
  return 'not an IP address';
}

/**
 * `::a.b.c.d` in hex groups, without a zone id (`%eth0`, which does not change what an address is).
 * ipaddr.js reads any `::a.b.c.d` as IPv4-mapped (`::ffff:a.b.c.d`); the IPv4-compatible form is a
 * different address, and inet_ntop prints it that way, so the dotted quad is converted here.
 */
function withoutDottedQuad(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(bare);
  if (!quad) return bare;
  const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
  return `${bare.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

export function isPublicAddress(address: string): boolean {
  return addressRefusal(address) === undefined;
}

/** The opposite of `isPublicAddress`: every address a job may not reach unless private targets are allowed. */
export function isPrivateAddress(address: string): boolean {
  return !isPublicAddress(address);
}

function ipv4Refusal(address: ipaddr.IPv4): string | undefined {
  const range = address.range();
  return range === 'unicast' ? undefined : `${range} address`;
}

function ipv6Refusal(address: ipaddr.IPv6): string | undefined {
  const range = address.range();
  switch (range) {
    case 'ipv4Mapped':
      // ::ffff:a.b.c.d: a dual-stack socket connects to the IPv4 address itself.
      return embedded(address.toIPv4Address(), 'IPv4-mapped');
    case 'rfc6052':
      // 64:ff9b::/96: a NAT64 translator connects to the embedded IPv4 address, and DNS64 networks
      // answer public names with such addresses, so a public embedded address is allowed.
      if (address.match(NAT64_WELL_KNOWN)) return embedded(lastIPv4(address), 'NAT64');
      // 64:ff9b:1::/48 (RFC 8215) is for local use, and the operator picks where the IPv4 address sits
      // (prefix /32 to /96): it cannot be read reliably, so it is refused.
      return 'NAT64 local-use address';
    case '6to4':
      // 2002:V4ADDR::/48 (RFC 3056): relays deliver to the IPv4 address in bits 16-47.
      return embedded(new ipaddr.IPv4(address.toByteArray().slice(2, 6)), '6to4');
    case 'teredo':
      // 2001::/32 (RFC 4380): a NAT-traversal address of a client, with the server's IPv4 address and the
      // client's obfuscated one inside; no public service lives there, and reading both is a trap.
      return 'Teredo address';
    case 'unicast':
      break;
    default:
      return `${range} address`;
  }
  // ipaddr.js calls everything it has no name for `unicast`, unassigned space included.
  if (address.match(IPV4_COMPATIBLE)) return 'IPv4-compatible address (deprecated)'; // ::a.b.c.d, whatever a.b.c.d is
  if (!address.match(GLOBAL_UNICAST_V6)) return 'address outside IPv6 global unicast';
  return undefined;
}

function lastIPv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  return new ipaddr.IPv4(address.toByteArray().slice(12, 16));
}

function embedded(v4: ipaddr.IPv4, form: string): string | undefined {
  const refusal = ipv4Refusal(v4);
  return refusal && `${refusal} ${v4.toString()} embedded in IPv6 as ${form}`;
}

/**
 * Why a URL's host is refused before any lookup, or undefined. Only literals are judged here (an IP
 * address, `localhost` and `*.localhost`, which RFC 6761 reserves for loopback); other names are checked
 * when they resolve. WHATWG URL parsing has already turned `2130706433`, `0x7f.1` and `0177.0.0.1` into
 * `127.0.0.1`, so `url.hostname` is the address the call would use.
 */
export function literalTargetRefusal(url: URL): string | undefined {
  const host = url.hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback name';
  return net.isIP(host) === 0 ? undefined : addressRefusal(host);
}
