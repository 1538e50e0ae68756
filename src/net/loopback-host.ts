import ipaddr from 'ipaddr.js';

/** Whether a listen host is loopback only: `localhost`, 127.0.0.0/8, `::1` (and `::ffff:127.x`). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (!ipaddr.isValid(bare)) return false;
  const address = ipaddr.process(bare);
  return address.range() === 'loopback';
}
