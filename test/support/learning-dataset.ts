import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { callApi } from './api-client';
import { TEST_FIXTURES } from './repo-paths';
import { uploadValidatedVersion } from './upload-version';

type Body = Record<string, unknown>;

/**
 * A classification dataset of one of the learning fixtures (`test/fixtures/learning/datasets/`)
 * with one validated version, created over HTTP as a client creates it.
 */
export async function createLearningDataset(
  baseUrl: string,
  authHeader: Record<string, string>,
  fixture: { file: string; name: string; targetColumn: string },
): Promise<{ datasetId: string; version: Body }> {
  const created = await callApi(baseUrl, authHeader, 'POST', '/datasets', {
    name: fixture.name,
    modality: 'tabular',
    targetColumn: fixture.targetColumn,
    problemType: 'classification',
  });
  if (created.status !== 201)
    throw new Error(`POST /datasets answered ${created.status}: ${JSON.stringify(created.body)}`);
  const datasetId = String(created.body.id);
  const version = await uploadValidatedVersion(baseUrl, authHeader, datasetId, {
    name: fixture.file,
    contentType: 'text/csv',
    bytes: await readFile(path.join(TEST_FIXTURES, 'learning/datasets', fixture.file)),
  });
  return { datasetId, version };
}
