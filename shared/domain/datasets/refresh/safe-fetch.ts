import { lookup } from 'node:dns/promises';
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { RefreshRefusedError } from './refresh-errors';

/**
 * Fetching a user-supplied URL without letting it reach inside our network (SSRF): only https,
 * no credentials in the URL, every host resolved and refused when any address is private,
 * loopback, link-local (the instance metadata service included), multicast or reserved; the
 * connection is pinned to the address that was checked (no DNS rebinding between check and
 * connect); each redirect is checked again; the body is streamed (never held whole in memory),
 * capped while it streams, and the whole fetch, body included, has a deadline.
 */
export class UnsafeUrlError extends RefreshRefusedError {
  constructor(message: string) {
    super('REFRESH.UNSAFE_URL', message);
  }
}

/** The source could not be reached or read (DNS, connection, deadline, redirects). */
export class FetchFailedError extends RefreshRefusedError {
  constructor(message: string) {
    super('REFRESH.SOURCE_UNREACHABLE', message);
  }
}

export class SourceStatusError extends RefreshRefusedError {
  constructor(readonly sourceStatus: number) {
    super('REFRESH.SOURCE_HTTP_STATUS', `The source answered HTTP ${sourceStatus}.`, {
      details: { status: sourceStatus },
    });
  }
}

export class SourceTooLargeError extends RefreshRefusedError {
  constructor(
    readonly maxBytes: number,
    declaredBytes?: number,
  ) {
    super(
      'REFRESH.SOURCE_TOO_LARGE',
      declaredBytes === undefined
        ? `The source is larger than ${maxBytes} bytes, the most a refresh fetches.`
        : `The source is ${declaredBytes} bytes; at most ${maxBytes} are fetched.`,
      { details: { maxBytes } },
    );
  }
}

/** A network error's code (ECONNREFUSED, ECONNRESET…), not its message, which may carry internals. */
function networkReason(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : 'connection error';
}

/** Passes bytes through and fails with SourceTooLargeError as soon as more than `maxBytes` went by. */
export function limitBytes(maxBytes: number): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.byteLength;
      if (total > maxBytes) callback(new SourceTooLargeError(maxBytes));
      else callback(null, chunk);
    },
  });
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, instance metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

function blockedV4(ip: string): boolean {
  const value = ipv4ToInt(ip);
  return BLOCKED_V4.some(([base, bits]) => {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (value & mask) >>> 0 === (ipv4ToInt(base) & mask) >>> 0;
  });
}

/** Expands an IPv6 address to its eight 16-bit groups. */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0] ?? '';
  // A trailing dotted IPv4 (::ffff:1.2.3.4) becomes two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = ipv4ToInt(dotted[1]);
    text = text.slice(0, -dotted[1].length) + `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array.from({ length: tail === undefined ? 0 : missing }, () => '0'), ...right];
  return groups.map((g) => parseInt(g, 16));
}

function blockedV6(ip: string): boolean {
  const g = ipv6Groups(ip);
  if (g.length !== 8 || g.some((x) => Number.isNaN(x))) return true;
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g6 = 0, h = 0] = g;
  const embeddedV4 = `${g6 >>> 8}.${g6 & 0xff}.${h >>> 8}.${h & 0xff}`;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0) {
    if (f === 0xffff) return blockedV4(embeddedV4); // IPv4-mapped
    if (f === 0) return true; // ::, ::1 and the deprecated IPv4-compatible range
  }
  if (a === 0x64 && b === 0xff9b) return blockedV4(embeddedV4); // NAT64
  if ((a & 0xfe00) === 0xfc00) return true; // unique local (fd00:ec2::254 is the IPv6 metadata service)
  if ((a & 0xffc0) === 0xfe80) return true; // link-local
  if ((a & 0xff00) === 0xff00) return true; // multicast
  if (a === 0x2001 && b === 0x0db8) return true; // documentation
  if (a === 0x2002) return blockedV4(`${b >>> 8}.${b & 0xff}.${c >>> 8}.${c & 0xff}`); // 6to4
  return false;
}

/** True when an address may be fetched: public unicast, v4 or v6. */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !blockedV4(ip);
  if (family === 6) return !blockedV6(ip);
  return false;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface SafeFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
  /** Host names exempt from the address check (local runtime only; see config). */
  allowedHosts?: readonly string[];
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** Extra CA certificates (tests with a local TLS server). */
  ca?: string | Buffer;
}

export interface FetchedSource {
  /**
   * The body as it arrives. It fails with SourceTooLargeError past `maxBytes` and with
   * FetchFailedError at the deadline or a broken connection; read it to the end or destroy it.
   */
  body: Readable;
  contentType: string | undefined;
  finalUrl: URL;
}

/** Checks the URL and resolves its host; returns the address to connect to. */
export async function checkFetchTarget(
  url: URL,
  options: Pick<SafeFetchOptions, 'allowedHosts' | 'resolve'>,
): Promise<ResolvedAddress> {
  if (url.protocol !== 'https:')
    throw new UnsafeUrlError(`Only https:// sources can be fetched (got ${url.protocol}).`);
  if (url.username || url.password) throw new UnsafeUrlError('Credentials in the URL are not accepted.');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const allowed = (options.allowedHosts ?? []).includes(host);
  const literal = isIP(host);
  const addresses: ResolvedAddress[] = literal
    ? [{ address: host, family: literal }]
    : await (options.resolve ?? defaultResolve)(host).catch(() => {
        throw new FetchFailedError(`The host ${host} could not be resolved.`);
      });
  if (addresses.length === 0) throw new FetchFailedError(`The host ${host} has no addresses.`);
  if (!allowed) {
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused)
      throw new UnsafeUrlError(`${host} resolves to ${refused.address}, a private or reserved address.`);
  }
  return addresses[0] as ResolvedAddress;
}

async function defaultResolve(hostname: string): Promise<ResolvedAddress[]> {
  return lookup(hostname, { all: true, verbatim: true });
}

export async function safeFetch(start: URL, options: SafeFetchOptions): Promise<FetchedSource> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  let url = start;
  for (let hop = 0; ; hop++) {
    const target = await checkFetchTarget(url, options);
    const response = await fetchOnce(url, target, options, deadline);
    if (response.kind === 'body')
      return { body: response.body, contentType: response.contentType, finalUrl: url };
    if (hop >= (options.maxRedirects ?? 3)) throw new FetchFailedError('Too many redirects.');
    url = new URL(response.location, url);
  }
}

type Once =
  { kind: 'body'; body: Readable; contentType: string | undefined } | { kind: 'redirect'; location: string };

function fetchOnce(
  url: URL,
  target: ResolvedAddress,
  options: SafeFetchOptions,
  signal: AbortSignal,
): Promise<Once> {
  // Connect to the address that passed the check, whatever DNS answers now.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  return new Promise<Once>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        lookup: pinned,
        signal,
        headers: { accept: '*/*', 'user-agent': 'PipeWeave-Refresh/1' },
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          resolve({ kind: 'redirect', location: res.headers.location });
          return;
        }
        if (status !== 200) {
          res.resume();
          reject(new SourceStatusError(status));
          return;
        }
        const declared = Number(res.headers['content-length'] ?? NaN);
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          res.destroy();
          reject(new SourceTooLargeError(options.maxBytes, declared));
          return;
        }
        const body = limitBytes(options.maxBytes);
        res.on('error', (error) =>
          body.destroy(
            signal.aborted
              ? new FetchFailedError('The source did not answer in time.')
              : new FetchFailedError(`Reading the source failed (${networkReason(error)}).`),
          ),
        );
        // Past the cap, or when the reader gives up: close the connection instead of draining it.
        body.on('close', () => {
          if (!res.complete) res.destroy();
        });
        // The reader still gets the error (a stream keeps it); this only keeps an error raised
        // before anyone reads (a first chunk past the cap) from being an uncaught exception.
        body.on('error', () => undefined);
        res.pipe(body);
        resolve({ kind: 'body', body, contentType: res.headers['content-type'] });
      },
    );
    req.on('error', (error) => {
      reject(
        signal.aborted
          ? new FetchFailedError('The source did not answer in time.')
          : new FetchFailedError(`The source could not be reached (${networkReason(error)}).`),
      );
    });
    req.end();
  });
}
