import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeError } from '../../../../../shared/domain/nodes/node-errors';
import {
  createNodeHarness,
  JOB_ID,
  recordingSession,
  USER_ID,
  type NodeHarness,
} from '../../../support/node-test-context';

let h: NodeHarness;
let people: string;
let orders: string;

beforeAll(async () => {
  h = await createNodeHarness();
  people = await h.table(
    'processed/people.parquet',
    `SELECT * FROM (VALUES
       (1, 'Ada', 36, 'uk', 'a'), (2, 'Grace', 45, 'us', 'b'), (3, 'Linus', NULL, 'fi', 'a'),
       (4, 'Barbara', 29, 'us', 'b'), (5, 'Edsger', 72, 'nl', 'a'), (6, 'Alan', 41, 'uk', 'b')
     ) AS t(id, name, age, country, "we""ird")`,
  );
  orders = await h.table(
    'processed/orders.parquet',
    `SELECT * FROM (VALUES (10, 1, 5.0), (11, 1, 7.5), (12, 2, 1.0), (13, 9, 3.0)) AS t(order_id, id, amount)`,
  );
});

afterAll(async () => {
  await h.close();
});

describe('column nodes', () => {
  it('select keeps only the listed columns, in the order given, and writes under the job prefix', async () => {
    const result = await h.run(
      'table.select_columns',
      { table: { key: people } },
      { columns: ['name', 'id'] },
      { nodeId: 'pick' },
    );
    const out = result.outputs['table'];
    expect(out?.key).toBe(`jobs/${USER_ID}/${JOB_ID}/pick/table.parquet`);
    expect(out?.rows).toBe(6);
    expect(out?.columns).toEqual(['name', 'id']);
    expect((await h.rows(out?.key ?? '', 'id'))[0]).toEqual({ name: 'Ada', id: 1 });
  });

  it('select names the missing column and the columns that exist', async () => {
    await expect(
      h.run('table.select_columns', { table: { key: people } }, { columns: ['name', 'salary'] }),
    ).rejects.toThrow(/Column "salary" does not exist \(the table has: id, name, age, country, we"ird\)/);
  });

  it('rename renames columns, handles quotes in names, and refuses to create duplicates', async () => {
    const result = await h.run(
      'table.rename_columns',
      { table: { key: people } },
      { mapping: { name: 'full_name', 'we"ird': 'group' } },
    );
    expect(result.outputs['table']?.columns).toEqual(['id', 'full_name', 'age', 'country', 'group']);
    await expect(
      h.run('table.rename_columns', { table: { key: people } }, { mapping: { name: 'age' } }),
    ).rejects.toThrow(/two columns would be called "age"/);
  });

  it('drop removes columns and refuses to drop all of them', async () => {
    const result = await h.run(
      'table.drop_columns',
      { table: { key: people } },
      { columns: ['age', 'we"ird'] },
    );
    expect(result.outputs['table']?.columns).toEqual(['id', 'name', 'country']);
    await expect(
      h.run(
        'table.drop_columns',
        { table: { key: people } },
        { columns: ['id', 'name', 'age', 'country', 'we"ird'] },
      ),
    ).rejects.toBeInstanceOf(NodeError);
  });

  it('a wide table: the output counts every column but names only the first 50', async () => {
    const columns = Array.from(
      { length: 3_000 },
      (_, i) => `measurement_${String(i).padStart(4, '0')}_${'x'.repeat(80)}`,
    );
    const wide = await h.table(
      'processed/wide.parquet',
      `SELECT ${columns.map((c, i) => `${i} AS "${c}"`).join(', ')}`,
    );
    const result = await h.run(
      'table.drop_columns',
      { table: { key: wide } },
      { columns: [columns[0] ?? ''] },
    );
    const out = result.outputs['table'];
    expect(out?.columnCount).toBe(2_999);
    expect(out?.columnsTruncated).toBe(true);
    expect(out?.columns).toEqual(columns.slice(1, 51));
    // What travels through the state machine and into job_nodes.output stays small.
    expect(JSON.stringify(result).length).toBeLessThan(8 * 1024);
    // So does the error naming a missing column: the first 50 columns, then how many more.
    const missing = await h.run('table.select_columns', { table: { key: wide } }, { columns: ['nope'] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(missing).toBeInstanceOf(NodeError);
    const message = (missing as NodeError).message;
    expect(message).toContain(`${columns[49] ?? ''} and 2950 more`);
    expect(message).not.toContain(columns[50] ?? '');
    expect(message.length).toBeLessThan(8 * 1024);
    expect(
      (await h.run('table.select_columns', { table: { key: people } }, { columns: ['id'] })).outputs['table'],
    ).toMatchObject({
      columnCount: 1,
      columns: ['id'],
    });
  });

  it('a node without its input port fails with a message that says what to connect', async () => {
    await expect(h.run('table.select_columns', {}, { columns: ['id'] })).rejects.toThrow(
      /no input on port "table"/,
    );
  });
});

describe('table.filter_rows', () => {
  const filter = async (params: unknown) => {
    const result = await h.run('table.filter_rows', { table: { key: people } }, params);
    return (await h.rows(result.outputs['table']?.key ?? '', 'id')).map((r) => r['id']);
  };

  it('applies comparison, list, null and text conditions', async () => {
    expect(await filter({ conditions: [{ column: 'age', operator: '>=', value: 41 }] })).toEqual([2, 5, 6]);
    expect(
      await filter({ conditions: [{ column: 'country', operator: 'in', value: ['uk', 'nl'] }] }),
    ).toEqual([1, 5, 6]);
    expect(await filter({ conditions: [{ column: 'country', operator: 'not_in', value: ['us'] }] })).toEqual([
      1, 3, 5, 6,
    ]);
    expect(await filter({ conditions: [{ column: 'age', operator: 'is_null' }] })).toEqual([3]);
    expect(await filter({ conditions: [{ column: 'age', operator: '!=', value: 36 }] })).toEqual([
      2, 3, 4, 5, 6,
    ]);
    expect(await filter({ conditions: [{ column: 'name', operator: 'contains', value: 'ar' }] })).toEqual([
      4,
    ]);
  });

  it('combines conditions with and/or', async () => {
    const conditions = [
      { column: 'country', operator: '=', value: 'us' },
      { column: 'age', operator: '<', value: 30 },
    ];
    expect(await filter({ conditions })).toEqual([4]);
    expect(await filter({ conditions, combine: 'or' })).toEqual([2, 4]);
  });

  it('treats values as data, never as SQL', async () => {
    expect(await filter({ conditions: [{ column: 'name', operator: '=', value: "x' OR '1'='1" }] })).toEqual(
      [],
    );
    expect(await filter({ conditions: [{ column: 'we"ird', operator: '=', value: 'a' }] })).toEqual([
      1, 3, 5,
    ]);
  });

  it('rejects conditions that do not fit their operator and unknown columns', async () => {
    await expect(filter({ conditions: [{ column: 'age', operator: 'in', value: [] }] })).rejects.toThrow(
      /non-empty list/,
    );
    await expect(filter({ conditions: [{ column: 'age', operator: 'exec', value: 1 }] })).rejects.toThrow();
    await expect(filter({ conditions: [{ column: 'salary', operator: '>', value: 1 }] })).rejects.toThrow(
      /"salary" does not exist/,
    );
  });
});

describe('table.sample', () => {
  const ids = async (params: unknown) => {
    const result = await h.run('table.sample', { table: { key: people } }, params);
    return (await h.rows(result.outputs['table']?.key ?? '')).map((r) => r['id']);
  };

  it('takes the same rows for the same seed and other rows for another seed', async () => {
    const first = await ids({ rows: 3, seed: 7 });
    expect(first).toHaveLength(3);
    expect(await ids({ rows: 3, seed: 7 })).toEqual(first);
    const seeds = await Promise.all([1, 2, 3, 4, 5].map((seed) => ids({ rows: 3, seed })));
    expect(seeds.some((s) => JSON.stringify([...s].sort()) !== JSON.stringify([...first].sort()))).toBe(true);
  });

  it('takes a fraction of the rows, and repeats rows only with replacement', async () => {
    expect(await ids({ fraction: 0.5 })).toHaveLength(3);
    const drawn = await ids({ rows: 20, withReplacement: true, seed: 3 });
    expect(drawn).toHaveLength(20);
    expect(new Set(drawn).size).toBeLessThanOrEqual(6);
    expect(await ids({ rows: 20 })).toHaveLength(6);
  });
});

describe('table.split', () => {
  const split = async (params: unknown) => {
    const result = await h.run('table.split', { table: { key: people } }, params);
    const train = (await h.rows(result.outputs['train']?.key ?? '')).map((r) => r['id']);
    const test = (await h.rows(result.outputs['test']?.key ?? '')).map((r) => r['id']);
    return { train, test, metrics: result.metrics };
  };

  it('splits every row into exactly one of train and test, reproducibly', async () => {
    const a = await split({ testFraction: 0.34, seed: 11 });
    expect(a.test).toHaveLength(2);
    expect([...a.train, ...a.test].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await split({ testFraction: 0.34, seed: 11 })).toEqual(a);
    expect(a.metrics).toMatchObject({ trainRows: 4, testRows: 2 });
  });

  it('without shuffle, the last rows are the test set', async () => {
    const { train, test } = await split({ testFraction: 0.5, shuffle: false });
    expect(train).toEqual([1, 2, 3]);
    expect(test).toEqual([4, 5, 6]);
  });

  it('stratified, each class gives its share to the test set', async () => {
    const result = await h.run(
      'table.split',
      { table: { key: people } },
      { testFraction: 0.34, stratifyColumn: 'we"ird', seed: 5 },
    );
    const test = await h.rows(result.outputs['test']?.key ?? '');
    expect(test.map((r) => r['we"ird']).sort()).toEqual(['a', 'b']);
  });
});

describe('table.join', () => {
  it('inner join keeps matching rows, keys once, and suffixes clashing right columns', async () => {
    const named = await h.table(
      'processed/named-orders.parquet',
      `SELECT 1 AS id, 'first' AS name UNION ALL SELECT 2, 'second'`,
    );
    const inner = await h.run(
      'table.join',
      { left: { key: people }, right: { key: orders } },
      { on: ['id'] },
    );
    const rows = await h.rows(inner.outputs['table']?.key ?? '', 'order_id');
    expect(rows.map((r) => [r['order_id'], r['name']])).toEqual([
      [10, 'Ada'],
      [11, 'Ada'],
      [12, 'Grace'],
    ]);
    const clash = await h.run('table.join', { left: { key: people }, right: { key: named } }, { on: ['id'] });
    expect(clash.outputs['table']?.columns).toEqual(['id', 'name', 'age', 'country', 'we"ird', 'name_right']);
  });

  it('left and outer joins keep unmatched rows, with the key from whichever side has it', async () => {
    const left = await h.run(
      'table.join',
      { left: { key: people }, right: { key: orders } },
      { on: ['id'], how: 'left' },
    );
    expect(left.outputs['table']?.rows).toBe(7);
    const outer = await h.run(
      'table.join',
      { left: { key: people }, right: { key: orders } },
      { on: ['id'], how: 'outer' },
    );
    const ids = (await h.rows(outer.outputs['table']?.key ?? '', 'id')).map((r) => r['id']);
    expect(ids).toContain(9);
    expect(outer.outputs['table']?.rows).toBe(8);
  });

  it('fails when a key is missing on one side', async () => {
    await expect(
      h.run('table.join', { left: { key: people }, right: { key: orders } }, { on: ['name'] }),
    ).rejects.toThrow(/"name" does not exist/);
  });
});

describe('exports and the dataset source', () => {
  it('export.csv writes a CSV file with a header and the chosen delimiter, under the name it was given', async () => {
    const result = await h.run(
      'export.csv',
      { table: { key: orders } },
      { delimiter: ';', fileName: 'orders.csv' },
      { nodeId: 'csv' },
    );
    const file = result.outputs['file'];
    expect(file).toMatchObject({
      key: `jobs/${USER_ID}/${JOB_ID}/csv/file.csv`,
      format: 'csv',
      rows: 4,
      fileName: 'orders.csv',
    });
    const text = Buffer.from(await h.blobs.getBytes(file?.key ?? '')).toString('utf8');
    expect(text.split('\r\n')[0]).toBe('order_id;id;amount');
    expect(text).toContain('13;9;3.0');
    expect(file?.bytes).toBe(Buffer.byteLength(text));
  });

  it('export.csv neutralises cells a spreadsheet would run as formulas, and leaves numbers alone', async () => {
    const risky = await h.table(
      'processed/risky.parquet',
      `SELECT * FROM (VALUES (1, '=HYPERLINK("http://evil")', -2.5), (2, '+1', 3.0), (3, '@SUM(A1)', 1.0), (4, 'safe', -1.0))
         AS t(id, note, delta)`,
    );
    const result = await h.run('export.csv', { table: { key: risky } }, { fileName: 'notes.csv' });
    const text = Buffer.from(await h.blobs.getBytes(result.outputs['file']?.key ?? '')).toString('utf8');
    const lines = text.trim().split('\r\n');
    // Text cells are quoted; one that starts a formula gets a leading `'`; '+1' reads as a number.
    expect(lines).toEqual([
      'id,"note",delta',
      `1,"'=HYPERLINK(""http://evil"")",-2.5`,
      `2,"+1",3.0`,
      `3,"'@SUM(A1)",1.0`,
      `4,"safe",-1.0`,
    ]);
  });

  it('export.csv without a header writes the rows only, even when a quoted name holds a line break', async () => {
    const odd = await h.table(
      'processed/odd.parquet',
      `SELECT 1 AS "two\nlines", 'x' AS plain UNION ALL SELECT 2, 'y'`,
    );
    const result = await h.run('export.csv', { table: { key: odd } }, { header: false });
    const file = result.outputs['file'];
    const text = Buffer.from(await h.blobs.getBytes(file?.key ?? '')).toString('utf8');
    expect(text.trim().split('\r\n').sort()).toEqual(['1,"x"', '2,"y"']);
    expect(file).toMatchObject({ rows: 2, bytes: Buffer.byteLength(text), fileName: 'data.csv' });
  });

  it('export.csv names the parameter when its delimiter cannot delimit', async () => {
    await expect(h.run('export.csv', { table: { key: orders } }, { delimiter: 'a' })).rejects.toMatchObject({
      name: 'PipeWeave.NodeError',
      field: 'delimiter',
    });
  });

  it('export.csv runs its export query once and still reports the rows it wrote', async () => {
    const session = recordingSession(h.tables);
    const result = await h.run(
      'export.csv',
      { table: { key: orders } },
      {},
      { nodeId: 'csv-once', tables: session },
    );
    expect(result.outputs['file']?.rows).toBe(4);
    const copies = session.statements.filter((sql) => sql.includes('in-table.parquet') && /^COPY /.test(sql));
    expect(copies).toHaveLength(1);
  });

  it('export.parquet writes a readable Parquet file in the compression asked for', async () => {
    const result = await h.run('export.parquet', { table: { key: people } }, { compression: 'snappy' });
    expect(result.outputs['file']).toMatchObject({ format: 'parquet', rows: 6, fileName: 'data.parquet' });
    expect(await h.rows(result.outputs['file']?.key ?? '')).toHaveLength(6);
    const file = path.join(h.dir, 'snappy-check.parquet');
    await h.blobs.download(result.outputs['file']?.key ?? '', file);
    const codecs = await h.tables.query(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`);
    expect(codecs.map((row) => row['compression'])).toEqual(['SNAPPY']);
  });

  it('dataset.source copies the resolved version under the job prefix', async () => {
    const result = await h.run(
      'dataset.source',
      {},
      {},
      {
        nodeId: 'source',
        dataset: {
          datasetId: '33333333-3333-4333-8333-333333333333',
          datasetVersionId: '44444444-4444-4444-8444-444444444444',
          versionNumber: 2,
          processedObjectKey: people,
          rowCount: 6,
        },
      },
    );
    expect(result.outputs['table']).toMatchObject({
      key: `jobs/${USER_ID}/${JOB_ID}/source/table.parquet`,
      rows: 6,
    });
    expect(result.metrics).toMatchObject({ version: 2, rows: 6 });
    const copied = await readFile(
      path.join(h.blobs.root, ...(result.outputs['table']?.key ?? '').split('/')),
    );
    expect(copied.length).toBeGreaterThan(0);
  });

  it('stops before writing when the job was cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      h.run(
        'table.select_columns',
        { table: { key: people } },
        { columns: ['id'] },
        { signal: controller.signal },
      ),
    ).rejects.toMatchObject({ name: 'PipeWeave.NodeCancelled' });
  });
});
