import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { e2eSuite } from '../../support/e2e-suite';
import { jobNode, runJobToEnd } from '../../support/job-runs';
import { TEST_FIXTURES } from '../../support/repo-paths';
import { until } from '../../support/until';
import { uploadValidatedVersion } from '../../support/upload-version';

/**
 * A labelled text corpus on the local platform, as a client works with it: upload the corpus of
 * the repository (150 short documents, three topics), read its text profile, run the text
 * classification template (clean → words → TF-IDF → naive Bayes → evaluate), predict raw text
 * over the API with the registered model (its TF-IDF vocabulary replayed), and export the
 * documents as JSON Lines that read back; another tenant sees none of it.
 */
const suite = e2eSuite('text', 2);

type Body = Record<string, unknown>;

/** Documents written for this test, not in the corpus, one topic each. */
const UNSEEN: { text: string; label: string }[] = [
  { text: 'The goalkeeper saved a penalty and the fans celebrated the win.', label: 'sports' },
  { text: 'Our striker scored twice in the league final.', label: 'sports' },
  { text: 'The referee stopped the match after the captain was injured.', label: 'sports' },
  { text: 'Knead the dough, then bake the bread until the crust is golden.', label: 'cooking' },
  { text: 'The chef seasoned the soup with garlic, salt and fresh herbs.', label: 'cooking' },
  { text: 'Whisk the eggs with butter before the cake goes in the oven.', label: 'cooking' },
  { text: 'The developer deployed a patch to the backend API after the outage.', label: 'technology' },
  { text: 'Engineers encrypted the network traffic and migrated the database.', label: 'technology' },
  { text: 'The compiler update reduced latency on the storage servers.', label: 'technology' },
];

/** Exports a version or a job node's table as JSON Lines and reads the rows back. */
async function exportedRows(source: Body, fileName: string): Promise<Body[]> {
  const created = await fetch(`${suite.platform.url}/exports`, {
    method: 'POST',
    headers: { ...suite.user(0).authHeader, 'content-type': 'application/json' },
    body: JSON.stringify({ source, format: 'jsonl', options: { fileName } }),
  });
  const exported = (await created.json()) as Body;
  expect(created.status, JSON.stringify(exported)).toBe(201);
  const done = await until(`export ${String(exported.id)} to end`, async () => {
    const { body } = await suite.api('GET', `/exports/${String(exported.id)}`);
    return body.status === 'completed' || body.status === 'failed' ? body : undefined;
  });
  expect(done.status, JSON.stringify(done.error)).toBe('completed');
  const link = await fetch(
    `${suite.platform.url}/exports/${String(done.id)}/download?file=${fileName}.jsonl`,
    {
      headers: suite.user(0).authHeader,
      redirect: 'manual',
    },
  );
  expect(link.status).toBe(302);
  const file = await fetch(String(link.headers.get('location')));
  return (await file.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Body);
}

describe('text end to end', () => {
  it('uploads a corpus, profiles it, trains the template, predicts raw text and exports the documents', async () => {
    const corpus = await readFile(path.join(TEST_FIXTURES, 'text/topics.csv'));
    const dataset = await suite.api('POST', '/datasets', {
      name: 'topics',
      modality: 'text',
      problemType: 'classification',
    });
    expect(dataset.status, JSON.stringify(dataset.body)).toBe(201);
    const datasetId = String(dataset.body.id);
    const version = await uploadValidatedVersion(suite.platform.url, suite.user(0).authHeader, datasetId, {
      name: 'topics.csv',
      contentType: 'text/csv',
      bytes: corpus,
    });
    expect(version.rowCount).toBe(150);

    // The profile: documents, tokens, vocabulary, top terms, language and labels.
    const profile = await suite.api(
      'GET',
      `/datasets/${datasetId}/versions/${String(version.version)}/profile`,
    );
    expect(profile.status, JSON.stringify(profile.body)).toBe(200);
    const text = (profile.body.report as Body).text as Body;
    expect(text).toMatchObject({
      documents: 150,
      emptyDocuments: 0,
      duplicateDocuments: 0,
      language: { code: 'eng', name: 'English' },
      labels: [
        { label: 'cooking', count: 50 },
        { label: 'sports', count: 50 },
        { label: 'technology', count: 50 },
      ],
    });
    expect(Number(text.vocabularySize)).toBeGreaterThan(100);
    expect((text.topTerms as Body[]).map((t) => t.term)).not.toContain('the');
    expect((text.lengthHistogram as Body[]).reduce((sum, bin) => sum + Number(bin.count), 0)).toBe(150);
    const other = await suite.api(
      'GET',
      `/datasets/${datasetId}/versions/${String(version.version)}/profile`,
      undefined,
      suite.user(1),
    );
    expect(other.status).toBe(404);

    // The text classification task and its template.
    const tasks = await suite.api('GET', '/ml-tasks?modality=text');
    expect((tasks.body.items as Body[]).map((t) => t.key)).toEqual(['text.classification']);
    const templates = await suite.api('GET', '/pipelines?template=true');
    const template = (templates.body.items as Body[]).find((t) => t.templateKey === 'text.classification');
    expect(template, JSON.stringify(templates.body)).toBeDefined();
    const clone = await suite.api('POST', `/pipelines/${String(template?.id)}/clone`, {
      name: 'topics',
      datasetId,
    });
    expect(clone.status, JSON.stringify(clone.body)).toBe(201);
    const validated = await suite.api('POST', `/pipelines/${String(clone.body.id)}/validate`);
    expect(validated.body.valid, JSON.stringify(validated.body)).toBe(true);

    const job = await runJobToEnd(suite.platform.url, suite.user(0).authHeader, {
      pipelineId: clone.body.id,
      datasetVersionId: version.id,
    });
    expect(job.status, JSON.stringify(job)).toBe('completed');
    const train = jobNode(job, 'train');
    const modelId = String((train?.metrics as Body).modelId);
    // Held-out documents (a stratified fifth): better than always answering the majority class.
    const evaluated = (jobNode(job, 'evaluate')?.metrics ?? {}) as Body;
    const majorityShare = 10 / 30;
    expect(Number(evaluated.accuracy)).toBeGreaterThan(majorityShare + 0.3);

    // The registered model predicts raw text: its clean, tokenize and TF-IDF steps replay.
    const model = await suite.api('GET', `/models/${modelId}`);
    expect(model.status, JSON.stringify(model.body)).toBe(200);
    expect(model.body.algorithm).toBe('multinomial_nb');
    const predicted = await suite.api('POST', `/models/${modelId}/predict`, {
      rows: UNSEEN.map((u) => ({ text: u.text })),
    });
    expect(predicted.status, JSON.stringify(predicted.body)).toBe(200);
    const predictions = predicted.body.predictions as string[];
    const correct = predictions.filter((p, i) => p === UNSEEN[i]?.label).length;
    expect(correct / UNSEEN.length, JSON.stringify(predictions)).toBeGreaterThan(1 / 3 + 0.3);
    const probabilities = predicted.body.probabilities as Record<string, number>[];
    expect(Object.keys(probabilities[0] ?? {}).sort()).toEqual(['cooking', 'sports', 'technology']);
    const withoutText = await suite.api('POST', `/models/${modelId}/predict`, {
      rows: [{ body: 'no text' }],
    });
    expect(withoutText.status).toBe(400);
    expect(withoutText.body).toMatchObject({ field: 'body.rows[0].text' });

    // The documents exported as JSON Lines read back as uploaded.
    const rows = await exportedRows({ datasetVersionId: version.id }, 'topics');
    const uploaded = corpus.toString('utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(150);
    expect(rows.map((r) => `${String(r.text)},${String(r.label)}`)).toEqual(uploaded);
    expect(rows.map((r) => Number(r.doc_id))).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
  });

  it('tags the people, places and organisations of a .txt file in a pipeline', async () => {
    const dataset = await suite.api('POST', '/datasets', { name: 'news', modality: 'text' });
    expect(dataset.status, JSON.stringify(dataset.body)).toBe(201);
    const version = await uploadValidatedVersion(
      suite.platform.url,
      suite.user(0).authHeader,
      String(dataset.body.id),
      {
        name: 'news.txt',
        contentType: 'text/plain',
        bytes: Buffer.from(
          'Angela Merkel met Emmanuel Macron in Paris.\nNothing to see here.\nJohn Smith works for the United Nations in New York.\n',
        ),
      },
    );
    const pipeline = await suite.api('POST', '/pipelines', {
      name: 'entities',
      datasetId: dataset.body.id,
      definition: {
        nodes: [
          { id: 'source', type: 'dataset.source', params: {} },
          { id: 'entities', type: 'text.entities', params: {} },
        ],
        edges: [{ from: { node: 'source', port: 'table' }, to: { node: 'entities', port: 'table' } }],
      },
    });
    expect(pipeline.status, JSON.stringify(pipeline.body)).toBe(201);
    const job = await runJobToEnd(suite.platform.url, suite.user(0).authHeader, {
      pipelineId: pipeline.body.id,
      datasetVersionId: version.id,
    });
    expect(job.status, JSON.stringify(jobNode(job, 'entities'))).toBe('completed');
    expect(jobNode(job, 'entities')?.metrics).toMatchObject({
      rows: 3,
      people: 3,
      places: 2,
      organizations: 1,
    });
    const rows = await exportedRows({ jobId: job.id, nodeId: 'entities', port: 'table' }, 'entities');
    expect(rows.map((r) => [r.people, r.places, r.organizations])).toEqual([
      ['Angela Merkel; Emmanuel Macron', 'Paris', ''],
      ['', '', ''],
      ['John Smith', 'New York', 'United Nations'],
    ]);
  });
});
