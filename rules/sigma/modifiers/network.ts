/** `cidr`: the field holds an IP address inside this IPv4 or IPv6 network. */
import { isIP } from 'node:net';
import { describeValue, type SigmaValue } from '../model/values.ts';
import { ModifierError, SigmaModifier } from './modifier.ts';

export class CidrModifier extends SigmaModifier {
  readonly name = 'cidr';
  override transform(value: SigmaValue): SigmaValue {
    if (value.type !== 'string' || value.raw === undefined) {
      throw new ModifierError(`cidr takes a network such as 10.0.0.0/8, not ${describeValue(value)}`);
    }
    const text = value.raw.trim();
    const slash = text.indexOf('/');
    const network = slash === -1 ? text : text.slice(0, slash);
    const version = isIP(network);
    if (version === 0) throw new ModifierError(`cidr: "${text}" is not an IPv4 or IPv6 network`);
    const max = version === 4 ? 32 : 128;
    const prefix = slash === -1 ? max : Number(text.slice(slash + 1));
    if (
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > max ||
      (slash !== -1 && !/^\d+$/.test(text.slice(slash + 1)))
    ) {
      throw new ModifierError(`cidr: the prefix length of "${text}" must be a whole number from 0 to ${max}`);
    }
    return { type: 'cidr', network, prefix, family: version === 4 ? 'ipv4' : 'ipv6', text };
  }
}
