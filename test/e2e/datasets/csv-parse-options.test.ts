import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { e2eSuite } from '../../support/e2e-suite';
import { TEST_FIXTURES } from '../../support/repo-paths';
import { validatedVersion } from '../../support/upload-version';
import { until } from '../../support/until';

/**
 * Parse options as a client uses them: given at upload, or afterwards with a re-ingest that reads
 * the stored file again (no re-upload); the version shows the options used, detected or given.
 */
const suite = e2eSuite('csv-options');

type Body = Record<string, unknown>;

async function createDataset(name: string): Promise<string> {
  const res = await suite.api('POST', '/datasets', { name, modality: 'tabular' });
  expect(res.status).toBe(201);
  return String(res.body['id']);
}

async function upload(datasetId: string, fileName: string, bytes: Uint8Array, csv?: Body): Promise<number> {
  const res = await suite.api('POST', `/datasets/${datasetId}/versions`, {
    fileName,
    contentType: 'text/csv',
    sizeBytes: bytes.byteLength,
    ...(csv ? { csv } : {}),
  });
  expect(res.status).toBe(201);
  expect((res.body['version'] as Body)['csvOptions']).toEqual(csv ?? null);
  const upload = res.body['upload'] as { url: string; fields: Record<string, string>; fileField: string };
  const form = new FormData();
  for (const [field, value] of Object.entries(upload.fields)) form.append(field, value);
  form.append(upload.fileField, new Blob([bytes], { type: 'text/csv' }), fileName);
  expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBeLessThan(300);
  return (res.body['version'] as { version: number }).version;
}

const versionOf = (datasetId: string, number: number) =>
  validatedVersion(suite.platform.url, suite.user(0).authHeader, datasetId, number);

async function columnsOf(datasetId: string, number: number): Promise<{ name: string; type: string }[]> {
  const res = await suite.api('GET', `/datasets/${datasetId}/versions/${number}`);
  return res.body['columns'] as { name: string; type: string }[];
}

describe('CSV parse options', () => {
  it('reads a file with the options given at upload and shows them as given', async () => {
    const datasetId = await createDataset('european numbers');
    const bytes = new TextEncoder().encode('city;price;stock\nLyon;3,5;NA\nGent;4,25;7\nBonn;10,0;2\n');
    const number = await upload(datasetId, 'prices.csv', bytes, {
      delimiter: ';',
      decimal: ',',
      nullValues: ['NA'],
    });
    const version = await versionOf(datasetId, number);
    expect([version['rowCount'], version['columnCount']]).toEqual([3, 3]);
    expect(version['modalityMetadata']).toMatchObject({
      csv: {
        delimiter: ';',
        decimal: ',',
        nullValues: ['', 'NA'],
        header: true,
        skipRows: 0,
        given: ['decimal', 'delimiter', 'nullValues'],
      },
    });
    const types = Object.fromEntries((await columnsOf(datasetId, number)).map((c) => [c.name, c.type]));
    expect(types['price']).toBe('DOUBLE');
    expect(types['stock']).toMatch(/INT/);
  });

  it('re-ingests the stored file with new options, without a re-upload', async () => {
    const datasetId = await createDataset('wine');
    const bytes = await readFile(path.join(TEST_FIXTURES, 'ingestion', 'real-world', 'wine_data.csv'));
    const number = await upload(datasetId, 'wine_data.csv', bytes);
    const detected = await versionOf(datasetId, number);
    expect(detected['modalityMetadata']).toMatchObject({ csv: { skipRows: 1, header: false, given: [] } });

    // The count line read as the header: 5 names for 14 fields is not a table, the version fails.
    const asHeader = await suite.api('POST', `/datasets/${datasetId}/versions/${number}/reingest`, {
      header: 1,
    });
    expect(asHeader.status).toBe(202);
    expect(asHeader.body['status']).toBe('uploaded');
    const failed = await until('the re-ingest to fail', async () => {
      const res = await suite.api('GET', `/datasets/${datasetId}/versions/${number}`);
      return res.body['status'] === 'failed' ? res.body : undefined;
    });
    const errors = failed['validationErrors'] as { code: string; message: string }[];
    expect(errors[0]?.code).toBe('CSV.RAGGED_ROW');
    expect(errors[0]?.message).toMatch(/^Row 2 has 14 fields but the header has 5/);

    // Read again as the file is: skip the count line, no header.
    const again = await suite.api('POST', `/datasets/${datasetId}/versions/${number}/reingest`, {
      skipRows: 1,
      header: false,
    });
    expect(again.status).toBe(202);
    expect(again.body['csvOptions']).toEqual({ skipRows: 1, header: false });
    const version = await versionOf(datasetId, number);
    expect([version['rowCount'], version['columnCount']]).toEqual([178, 14]);
    expect(version['modalityMetadata']).toMatchObject({
      csv: { skipRows: 1, header: false, given: ['header', 'skipRows'] },
    });
  });

  it.each([
    [{ delimiter: ';;' }, 'body.delimiter'],
    [{ header: 2, skipRows: 1 }, 'body.skipRows'],
    [{ encoding: 'ebcdic' }, 'body.encoding'],
    [{ delimter: ';' }, 'body.delimter'],
  ])('refuses %j with a problem naming %s', async (options, field) => {
    const datasetId = await createDataset(`bad options ${field}`);
    const number = await upload(datasetId, 'small.csv', new TextEncoder().encode('a,b\n1,2\n'));
    await versionOf(datasetId, number);
    const res = await suite.api('POST', `/datasets/${datasetId}/versions/${number}/reingest`, options);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect((res.body['errors'] as { field: string }[]).map((e) => e.field)).toContain(field);
  });

  it('refuses parse options for a file that is not CSV or TSV', async () => {
    const datasetId = await createDataset('json with csv options');
    const res = await suite.api('POST', `/datasets/${datasetId}/versions`, {
      fileName: 'rows.json',
      sizeBytes: 10,
      csv: { delimiter: ';' },
    });
    expect(res.status).toBe(400);
    expect((res.body['errors'] as { field: string }[]).map((e) => e.field)).toContain('body.csv');
  });
});
