/**
 * The address a request came from, as the hub's limits count it. Behind a
 * balancer every peer is the balancer; a balancer listed in
 * HUB_TRUSTED_PROXIES says who its client was in `X-Forwarded-For`, and the
 * client is the nearest address in that chain that is not a trusted proxy.
 * Anyone else's `X-Forwarded-For` is ignored: a client could write anything
 * there.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trusted: ReadonlySet<string>): string {
  const direct = plain(peer ?? 'unknown');
  if (!trusted.has(direct) || !forwardedFor) return direct;
  const chain = forwardedFor.split(',').map((a) => plain(a.trim())).filter(Boolean);
  for (let i = chain.length - 1; i >= 0; i--) if (!trusted.has(chain[i]!)) return chain[i]!;
  return chain[0] ?? direct;
}

/** `::ffff:10.0.0.1` (an IPv4 peer of a dual-stack socket) as `10.0.0.1`. */
export function plain(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}
