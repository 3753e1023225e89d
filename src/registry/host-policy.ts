import { BlockList } from 'node:net';
import { HostNotAllowedError } from '../errors.js';
import { invalidOption } from '../internal/options.js';

/** Which hosts a registry accepts base URLs for; see `ServiceRegistryOptions`. */
export type HostPolicyOptions = {
  readonly allowedHosts?: readonly string[] | undefined;
  readonly allowLinkLocal?: boolean | undefined;
};

/** Checks the host of a normalised base URL; throws {@link HostNotAllowedError}. */
export type HostPolicy = (baseUrl: string) => void;

// Link-local addresses, where every cloud serves its instance metadata (and
// with it credentials): a base URL there would hand callers' tokens to it.
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4'); // also matches ::ffff:169.254.x.x
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6'); // AWS's IPv6 metadata endpoint (not link-local)
LINK_LOCAL.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6'); // 169.254/16 through NAT64
// Names that resolve to a metadata endpoint: the URL never shows the address.
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata']);

/**
 * Builds the registry's host check from its options, validating the
 * patterns now: `auth.internal.example` (that host), `*.internal.example`
 * (any host under it, not itself), an IPv4 or IPv6 address.
 */
export function hostPolicy(options: HostPolicyOptions): HostPolicy {
  const allowLinkLocal = options.allowLinkLocal ?? false;
  if (typeof allowLinkLocal !== 'boolean') {
    invalidOption('allowLinkLocal', `expected a boolean, got ${typeof allowLinkLocal}`, TypeError);
  }
  const patterns =
    options.allowedHosts === undefined ? undefined : patternsOf(options.allowedHosts);
  return (baseUrl) => {
    const host = hostOf(baseUrl);
    if (!allowLinkLocal && isLinkLocal(host)) {
      throw new HostNotAllowedError(
        host,
        'link-local',
        `${host} is a link-local or cloud metadata address, refused unless allowLinkLocal is set`,
      );
    }
    if (patterns !== undefined && !patterns.some((pattern) => matches(pattern, host))) {
      throw new HostNotAllowedError(host, 'not-allowed', `${host} is not in allowedHosts`);
    }
  };
}

// A port, path, query, user, wildcard in the middle, or a `]:` after an IPv6 address.
const NOT_IN_HOST = /[/?#@\\*%\s]|\]:/;

type Pattern = { readonly host: string; readonly subdomains: boolean };

function patternsOf(value: unknown): Pattern[] {
  if (!Array.isArray(value)) {
    invalidOption('allowedHosts', 'expected an array of host names or patterns', TypeError);
  }
  return (value as unknown[]).map((entry, index) => {
    const option = `allowedHosts[${index}]`;
    if (typeof entry !== 'string' || entry.trim() === '') {
      invalidOption(option, 'expected a host name, `*.domain` or an IP address', TypeError);
    }
    const subdomains = entry.startsWith('*.');
    const rest = subdomains ? entry.slice(2) : entry;
    // Through the URL parser, so a pattern is compared in the form base URLs take
    // (lower case, punycode, canonical IPv4 and IPv6); a bare IPv6 gets brackets.
    const bracketed = rest.includes(':') && !rest.startsWith('[') ? `[${rest}]` : rest;
    const url =
      !NOT_IN_HOST.test(rest) && URL.canParse(`http://${bracketed}`)
        ? new URL(`http://${bracketed}`)
        : undefined;
    if (url === undefined) {
      invalidOption(
        option,
        `expected a host name, \`*.domain\` or an IP address (no port or path), got ${JSON.stringify(entry)}`,
      );
    }
    return { host: withoutDot(url.hostname), subdomains };
  });
}

function matches(pattern: Pattern, host: string): boolean {
  return pattern.subdomains ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
}

function hostOf(baseUrl: string): string {
  return withoutDot(new URL(baseUrl).hostname);
}

// `metadata.google.internal.` is the same name as without the final dot.
function withoutDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

function isLinkLocal(host: string): boolean {
  if (host.startsWith('[')) return LINK_LOCAL.check(host.slice(1, -1), 'ipv6');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return LINK_LOCAL.check(host, 'ipv4');
  return METADATA_NAMES.has(host);
}
