import { createHmac } from 'node:crypto';
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkFetchTarget } from '../../datasets/refresh/safe-fetch';
import { SIGNATURE_HEADER } from '../alert-rule-definition';

/**
 * One signed POST of an alert to a webhook. The URL is checked as dataset refreshes check theirs
 * (https only, no credentials, every address public unless the host is on the local allow-list)
 * and the connection is pinned to the checked address.
 */
export interface WebhookPost {
  url: string;
  body: string;
  secret: string;
  deliveryId: string;
  timestamp: number;
}

export interface WebhookTransport {
  allowedHosts: readonly string[];
  ca?: string | undefined;
  timeoutMs: number;
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function postWebhook(
  post: WebhookPost,
  transport: WebhookTransport,
): Promise<{ status: number }> {
  const url = new URL(post.url);
  const target = await checkFetchTarget(url, { allowedHosts: transport.allowedHosts });
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        lookup: pinned,
        signal: AbortSignal.timeout(transport.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(post.body),
          'user-agent': 'PipeWeave-Alerts/1',
          [SIGNATURE_HEADER]: signWebhook(post.secret, post.timestamp, post.body),
          'pipeweave-delivery': post.deliveryId,
        },
        ...(transport.ca ? { ca: transport.ca } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    req.on('error', (error) =>
      reject(
        new Error(
          `the webhook could not be reached (${(error as NodeJS.ErrnoException).code ?? 'connection error'})`,
        ),
      ),
    );
    req.end(post.body);
  });
}
