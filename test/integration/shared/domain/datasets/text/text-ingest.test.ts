import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetVersionFormat } from '../../../../../../shared/db/schema';
import type { VersionValidationIssue } from '../../../../../../shared/domain/datasets/dataset-records';
import {
  profileReportSchema,
  type ProfileReport,
} from '../../../../../../shared/domain/datasets/profiling/profile-report';
import { readParquetRows } from '../../../../../support/text/parquet-rows';
import { TEST_FIXTURES } from '../../../../../support/repo-paths';
import { zipArchive } from '../../../../../support/text/zip-archive';
import { inSystemScope } from '../../../../support/fixtures';
import { startWorkerHarness, type WorkerHarness } from '../../../../support/worker-harness';

/**
 * Text versions as the text worker stores them: a table of documents (doc_id, text, label, …)
 * from a .txt file (one per line), a zip (one per .txt file, labelled by folder) or a CSV / JSON
 * Lines file with a text and a label column, in any of the encodings people save text in; and a
 * profile with the documents, tokens, vocabulary, top terms and language.
 */
let h: WorkerHarness;
beforeAll(async () => {
  h = await startWorkerHarness();
});
afterAll(async () => {
  await h?.stop();
});

const errors = (value: unknown) => value as VersionValidationIssue[];

async function ingest(fileName: string, body: Uint8Array | string, format: DatasetVersionFormat) {
  const arrival = await h.arrive({
    fileName,
    body,
    modality: 'text',
    format,
  });
  await h.process(arrival);
  return { arrival, version: await h.version(arrival) };
}

async function profileOf(versionId: string): Promise<ProfileReport> {
  const row = await inSystemScope(h.testDb.db, (trx) =>
    trx
      .selectFrom('eda_reports')
      .select('full_report')
      .where('dataset_version_id', '=', versionId)
      .executeTakeFirstOrThrow(),
  );
  return profileReportSchema.parse(row.full_report);
}

async function documents(key: string | null): Promise<Record<string, unknown>[]> {
  return readParquetRows(await h.services.blobs.getBytes(key ?? ''));
}

describe('text ingestion', () => {
  it('reads a Latin-1 .txt file as one document per line, with a profile of its words and language', async () => {
    const lines = [
      'The café on the corner serves coffee every morning.',
      '',
      'The café on the corner serves coffee every morning.',
      'Children walk to the school near the river and the park.',
      '<b>Markup</b> stays as written: cleaning is a pipeline step.',
    ];
    const latin1 = Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
    const { version } = await ingest('notes.txt', latin1, 'text');
    expect(version.status, JSON.stringify(version.validation_errors)).toBe('validated');
    expect(version.row_count).toBe(5);
    expect(version.modality_metadata).toMatchObject({
      inputFormat: 'text',
      encoding: 'windows-1252',
      documents: 5,
      emptyDocuments: 1,
      duplicateDocuments: 1,
      language: 'eng',
      labelled: false,
    });
    const rows = await documents(version.processed_object_key);
    expect(rows.map((r) => r.text)).toEqual(lines);
    expect(rows.map((r) => Number(r.doc_id))).toEqual([1, 2, 3, 4, 5]);

    const profile = await profileOf(version.id);
    expect(profile.warnings.map((w) => w.code)).toContain('encoding_converted');
    const text = profile.text;
    expect(text).toBeDefined();
    expect(text?.documents).toBe(5);
    expect(text?.tokens.total).toBe(9 + 0 + 9 + 11 + 11);
    expect(text?.tokens.max).toBe(11);
    expect(text?.lengthHistogram.reduce((sum, bin) => sum + bin.count, 0)).toBe(5);
    expect(text?.language).toEqual({ code: 'eng', name: 'English' });
    // Stop words of the detected language are not top terms; "café" is, spelled as written.
    const terms = text?.topTerms.map((t) => t.term) ?? [];
    expect(terms).not.toContain('the');
    expect(terms.slice(0, 3)).toEqual(expect.arrayContaining(['café', 'coffee']));
    expect(text?.topTerms.find((t) => t.term === 'café')).toMatchObject({ count: 2, documents: 2 });
    expect(text?.vocabularySize).toBeGreaterThan(20);
  });

  it('reads UTF-16 text by its byte order mark', async () => {
    const body = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('Grüße aus Köln\nzweite Zeile\n', 'utf16le'),
    ]);
    const { version } = await ingest('grüße.txt', body, 'text');
    expect(version.status, JSON.stringify(version.validation_errors)).toBe('validated');
    expect(version.modality_metadata).toMatchObject({ encoding: 'utf-16le', documents: 2 });
    expect((await documents(version.processed_object_key)).map((r) => r.text)).toEqual([
      'Grüße aus Köln',
      'zweite Zeile',
    ]);
  });

  it('reads a zip as one document per .txt file, labelled by folder, listing the files it left out', async () => {
    const zip = zipArchive([
      { name: 'positive/1.txt', content: 'A wonderful, moving film.\n' },
      { name: 'positive/2.txt', content: Buffer.from('Très réussi, j’ai adoré.', 'utf8') },
      {
        name: 'negative/1.txt',
        content: Buffer.from('Dull and far too long; I left early.', 'latin1'),
        deflate: false,
      },
      { name: 'negative/cover.jpg', content: 'not text' },
      { name: '__MACOSX/positive/._1.txt', content: 'resource fork' },
    ]);
    const { version } = await ingest('reviews.zip', zip, 'zip');
    expect(version.status, JSON.stringify(version.validation_errors)).toBe('validated');
    expect(version.modality_metadata).toMatchObject({
      inputFormat: 'zip',
      files: 3,
      skippedFiles: 1,
      skipped: [{ file: 'negative/cover.jpg', reason: expect.stringMatching(/not a \.txt file/) }],
      labelled: true,
    });
    const rows = await documents(version.processed_object_key);
    expect(rows.map((r) => [r.source, r.label, r.text])).toEqual([
      ['negative/1.txt', 'negative', 'Dull and far too long; I left early.'],
      ['positive/1.txt', 'positive', 'A wonderful, moving film.'],
      ['positive/2.txt', 'positive', 'Très réussi, j’ai adoré.'],
    ]);
    const profile = await profileOf(version.id);
    expect(profile.text?.labels).toEqual([
      { label: 'positive', count: 2 },
      { label: 'negative', count: 1 },
    ]);
  });

  it('stops a zip bomb at the per-file limit and says which file', async () => {
    const zip = zipArchive([
      { name: 'ok.txt', content: 'a small document' },
      { name: 'bomb.txt', content: Buffer.alloc(40 * 1024 * 1024, 0x61) },
    ]);
    const { version } = await ingest('bomb.zip', zip, 'zip');
    expect(version.status, JSON.stringify(version.validation_errors)).toBe('validated');
    expect(version.row_count).toBe(1);
    expect(version.modality_metadata).toMatchObject({
      skipped: [{ file: 'bomb.txt', reason: expect.stringMatching(/unpacks to/) }],
    });
  });

  it('refuses a zip without .txt files, naming what it holds', async () => {
    const zip = zipArchive([{ name: 'photo.png', content: 'x' }]);
    const { version } = await ingest('photos.zip', zip, 'zip');
    expect(version.status).toBe('failed');
    expect(errors(version.validation_errors)[0]).toMatchObject({ code: 'ZIP.NO_TEXT_FILES' });
    expect(errors(version.validation_errors)[0]?.message).toContain('"photo.png"');
  });

  it('takes the text and label columns of a CSV, renamed text and label, keeping the other columns', async () => {
    const csv = 'id,review,sentiment\n7,"Great phone, battery lasts",pos\n8,Screen cracked in a week,neg\n';
    const { version } = await ingest('reviews.csv', csv, 'csv');
    expect(version.status, JSON.stringify(version.validation_errors)).toBe('validated');
    expect(version.modality_metadata).toMatchObject({
      textColumn: 'review',
      labelColumn: 'sentiment',
      labelled: true,
    });
    const rows = await documents(version.processed_object_key);
    expect(rows.map((r) => [Number(r.doc_id), r.text, r.label, Number(r.id)])).toEqual([
      [1, 'Great phone, battery lasts', 'pos', 7],
      [2, 'Screen cracked in a week', 'neg', 8],
    ]);
  });

  it('takes the labelled corpus of the repository as JSON Lines', async () => {
    const csv = await readFile(path.join(TEST_FIXTURES, 'text/topics.csv'), 'utf8');
    const [, ...lines] = csv.trim().split('\n');
    const jsonl = lines
      .map((line) => {
        const cut = line.lastIndexOf(',');
        return JSON.stringify({ content: line.slice(0, cut), category: line.slice(cut + 1) });
      })
      .join('\n');
    const { version } = await ingest('topics.jsonl', jsonl, 'jsonl');
    expect(version.status, JSON.stringify(version.validation_errors)).toBe('validated');
    expect(version.modality_metadata).toMatchObject({
      textColumn: 'content',
      labelColumn: 'category',
      documents: 150,
      language: 'eng',
    });
    const profile = await profileOf(version.id);
    expect(profile.text?.labels?.map((l) => l.count)).toEqual([50, 50, 50]);
  });

  it('refuses a table without a text column', async () => {
    const { version } = await ingest('numbers.csv', 'a,b\n1,2\n3,4\n', 'csv');
    expect(version.status).toBe('failed');
    expect(errors(version.validation_errors)[0]).toMatchObject({ code: 'TEXT.NO_TEXT_COLUMN' });
  });
});
