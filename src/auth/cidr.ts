import { BlockList, isIP } from 'node:net';

/** Parses CIDR blocks ("10.0.0.0/8", "192.168.1.7", "fd00::/8"); throws naming the bad one. */
export function parseCidrs(list: string[], field = 'bound_cidrs'): string[] {
  for (const entry of list) cidrList([entry], field);
  return list;
}

function cidrList(list: string[], field: string): BlockList {
  const bl = new BlockList();
  for (const entry of list) {
    const [addr, bits] = entry.trim().split('/');
    const family = isIP(addr);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new Error(`${field}: "${entry}" is not an IP address or CIDR block`);
    }
    bl.addSubnet(addr, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return bl;
}

const cache = new Map<string, BlockList>();

/** Whether ip falls in any of the blocks (an empty list allows every address). */
export function ipAllowed(ip: string, cidrs: string[]): boolean {
  if (cidrs.length === 0) return true;
  const key = cidrs.join(',');
  let bl = cache.get(key);
  if (!bl) {
    bl = cidrList(cidrs, 'bound_cidrs');
    if (cache.size > 1000) cache.clear();
    cache.set(key, bl);
  }
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(plain);
  if (!family) return false;
  return bl.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}
