import { describe, expect, it } from 'vitest';
import { e2eSuite } from '../../support/e2e-suite';
import { largeCsv } from '../../support/large-csv';
import { until } from '../../support/until';
import { validatedVersion } from '../../support/upload-version';

/**
 * Local ingestion runs in a worker process, not on the API's event loop: with the tabular worker
 * frozen in the middle of a large CSV, the API still answers (health, lists) while the version is
 * still being ingested; and when that worker is killed, the message comes back to a new worker
 * and the version ends validated from the file already uploaded.
 */
const suite = e2eSuite('worker-process');
const ROWS = 300_000;

describe('local ingestion in a worker process', () => {
  it('leaves the API answering while the worker is frozen, and survives the worker being killed', async () => {
    const { platform } = suite;
    const bytes = largeCsv(ROWS);
    const dataset = await suite.api('POST', '/datasets', { name: 'worker process', modality: 'tabular' });
    const datasetId = String(dataset.body['id']);
    const created = await suite.api('POST', `/datasets/${datasetId}/versions`, {
      fileName: 'big.csv',
      contentType: 'text/csv',
      sizeBytes: bytes.byteLength,
    });
    const upload = created.body['upload'] as {
      url: string;
      fields: Record<string, string>;
      fileField: string;
    };
    const form = new FormData();
    for (const [field, value] of Object.entries(upload.fields)) form.append(field, value);
    form.append(upload.fileField, new Blob([bytes], { type: 'text/csv' }), 'big.csv');
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBeLessThan(300);

    const versionPath = `/datasets/${datasetId}/versions/1`;
    await until(
      'the worker to start on the file',
      async () => {
        const version = await suite.api('GET', versionPath);
        return version.body['status'] === 'validating' ? version : undefined;
      },
      120_000,
      20,
    );
    const pid = platform.workers.pid('tabular');
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);

    // Frozen mid-file: the API keeps answering, and the file is still being ingested afterwards.
    process.kill(pid ?? 0, 'SIGSTOP');
    try {
      const health = await fetch(`${platform.url}/health`);
      const list = await suite.api('GET', '/datasets');
      const version = await suite.api('GET', versionPath);
      expect(health.status).toBe(200);
      expect(list.status).toBe(200);
      expect(version.body['status']).toBe('validating');
    } finally {
      // Killed while frozen: the worker dies mid-file, as a crash or an out-of-memory kill would.
      process.kill(pid ?? 0, 'SIGKILL');
    }

    const after = await validatedVersion(platform.url, suite.user(0).authHeader, datasetId, 1, 180_000);
    expect(after).toMatchObject({ status: 'validated', rowCount: ROWS, columnCount: 6 });
    expect(platform.workers.pid('tabular')).not.toBe(pid);
  });
});
