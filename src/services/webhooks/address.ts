// Where a client webhook may connect: public addresses only (unless the operator allows private
// ones), checked on the URL when an endpoint is saved and on every address DNS gives at connect time.
import dns, { type LookupAddress } from 'node:dns';
import net from 'node:net';

/** Loopback, private, link-local, shared, documentation, multicast and reserved ranges (IPv4-mapped IPv6 included by Node). */
const NOT_PUBLIC = new net.BlockList();
for (const [a, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(a, bits, 'ipv4');
for (const [a, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(a, bits, 'ipv6');

/** True for an address a webhook may reach without HERALD_WEBHOOKS_ALLOW_PRIVATE. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class AddressNotAllowedError extends Error {
  readonly code = 'EADDRNOTALLOWED';
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

/**
 * Why this URL may not be a webhook endpoint, or undefined when it may: http(s) only, no credentials
 * in it, and (unless private addresses are allowed) no literal private address or `localhost` name.
 * Other names are checked when connecting, every time.
 */
export function urlProblem(raw: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (allowPrivate) return undefined;
  // `localhost.` (fully qualified, trailing dot) names the same machine as `localhost`.
  const host = bare(url.hostname).toLowerCase().replace(/\.$/, '');
  if (net.isIP(host) && !isPublicAddress(host)) return `${host} is a loopback, private or link-local address (the operator can allow them: HERALD_WEBHOOKS_ALLOW_PRIVATE=true)`;
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine (the operator can allow it: HERALD_WEBHOOKS_ALLOW_PRIVATE=true)`;
  return undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Resolver = (hostname: string, options: dns.LookupAllOptions, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolver: Resolver = (hostname, options, cb) => dns.lookup(hostname, options, cb);

/**
 * A `lookup` for net/tls.connect (undici's `connect` options): resolves the name itself and hands
 * the socket only an address it checked, so a DNS answer that changed since the endpoint was saved
 * cannot point a webhook inside. Any private address among the answers refuses the connection.
 */
export function guardedLookup(allowPrivate: boolean, resolve: Resolver = systemResolver) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { family: options.family as number | undefined, hints: options.hints, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const bad = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (bad || addresses.length === 0) {
        const why = bad ? `${hostname} resolves to ${bad.address}, a loopback, private or link-local address` : `${hostname} has no address`;
        return callback(new AddressNotAllowedError(why), '');
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
