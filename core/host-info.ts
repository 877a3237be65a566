/** Metadata of the host a collector runs on, attached to every record. */
import { hostname, networkInterfaces, platform, release, type } from 'node:os';
import type { RawRecord } from './event/raw-record.ts';

export function hostInfo(): RawRecord['host'] {
  const ip: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (!address.internal) ip.push(address.address);
    }
  }
  return {
    name: hostname(),
    ip,
    os: { type: type().toLowerCase(), platform: platform(), kernel: release() },
  };
}
