import { until } from './until';

type Body = Record<string, unknown>;

/**
 * Adds a version to a dataset as a client does: `POST /datasets/{id}/versions`, the file sent to
 * the presigned POST it answers, then polling until ingestion validated it. Fails if ingestion
 * fails (with its validation errors) or takes longer than the deadline.
 */
export async function uploadValidatedVersion(
  baseUrl: string,
  authHeader: Record<string, string>,
  datasetId: string,
  file: { name: string; contentType: string; bytes: Uint8Array },
): Promise<Body> {
  const requested = await fetch(`${baseUrl}/datasets/${datasetId}/versions`, {
    method: 'POST',
    headers: { ...authHeader, 'content-type': 'application/json' },
    body: JSON.stringify({
      fileName: file.name,
      contentType: file.contentType,
      sizeBytes: file.bytes.byteLength,
    }),
  });
  const answer = (await requested.json()) as Body;
  if (requested.status !== 201)
    throw new Error(`POST versions answered ${requested.status}: ${JSON.stringify(answer)}`);
  const upload = answer['upload'] as { url: string; fields: Record<string, string>; fileField: string };
  const number = (answer['version'] as { version: number }).version;

  const form = new FormData();
  for (const [field, value] of Object.entries(upload.fields)) form.append(field, value);
  form.append(upload.fileField, new Blob([file.bytes], { type: file.contentType }), file.name);
  const stored = await fetch(upload.url, { method: 'POST', body: form });
  if (stored.status >= 300) throw new Error(`the upload answered ${stored.status}: ${await stored.text()}`);

  return validatedVersion(baseUrl, authHeader, datasetId, number);
}

/**
 * Polls version `number` of a dataset until ingestion validated it, however it arrived (an
 * upload, a refresh, a pipeline's output). Fails if ingestion fails or outlasts the deadline.
 */
export function validatedVersion(
  baseUrl: string,
  authHeader: Record<string, string>,
  datasetId: string,
  number: number,
  timeoutMs?: number,
): Promise<Body> {
  return until(
    `version ${number} of ${datasetId} to be validated`,
    async () => {
      const res = await fetch(`${baseUrl}/datasets/${datasetId}/versions/${number}`, { headers: authHeader });
      const version = (await res.json()) as Body;
      if (version['status'] === 'failed')
        throw new Error(`ingestion failed: ${JSON.stringify(version['validationErrors'])}`);
      return version['status'] === 'validated' ? version : undefined;
    },
    timeoutMs,
  );
}
