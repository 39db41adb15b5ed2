import { callApi } from './api-client';
import { until } from './until';

type Body = Record<string, unknown>;

/**
 * Starts a job (`POST /jobs`) and polls `GET /jobs/{id}` until it ends: the job as it then reads,
 * completed, failed or cancelled. Fails if the job cannot start or does not end before the deadline.
 */
export async function runJobToEnd(
  baseUrl: string,
  authHeader: Record<string, string>,
  request: { pipelineId: unknown; datasetVersionId: unknown },
  timeoutMs = 240_000,
): Promise<Body> {
  const started = await callApi(baseUrl, authHeader, 'POST', '/jobs', request);
  if (started.status !== 201)
    throw new Error(`POST /jobs answered ${started.status}: ${JSON.stringify(started.body)}`);
  return until(
    `job ${String(started.body.id)} to end`,
    async () => {
      const { body } = await callApi(baseUrl, authHeader, 'GET', `/jobs/${String(started.body.id)}`);
      return ['completed', 'failed', 'cancelled'].includes(String(body.status)) ? body : undefined;
    },
    timeoutMs,
    250,
  );
}

/** A node of a job as `GET /jobs/{id}` shows it (an empty object when the job has no such node). */
export function jobNode(job: Body, nodeId: string): Body {
  return (job.nodes as Body[] | undefined)?.find((node) => node.nodeId === nodeId) ?? {};
}
