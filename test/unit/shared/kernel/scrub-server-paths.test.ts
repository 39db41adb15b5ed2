import { describe, expect, it } from 'vitest';
import { projectRelativeFrames, scrubServerPaths } from '../../../../shared/kernel/scrub-server-paths';

describe('server paths in messages users read', () => {
  it.each([
    ['Error when sniffing file "/tmp/pw-ingest-x1Yz/raw".', 'Error when sniffing the file.'],
    [
      "No files found that match the pattern '/var/task/data/x.parquet'",
      'No files found that match the pattern the file',
    ],
    ['Cannot open /tmp/pw-ingest-abc/utf8.csv: No such file', 'Cannot open the file: No such file'],
  ])('%j → %j', (message, scrubbed) => {
    expect(scrubServerPaths(message)).toBe(scrubbed);
  });

  it.each([
    'Row 3 has 2 field(s) but the header has 3',
    'Could not convert string "1/2/3" to INTEGER',
    'see https://duckdb.org/docs/data/csv/overview',
    'a ratio of 3/4',
  ])('leaves %j alone', (message) => {
    expect(scrubServerPaths(message)).toBe(message);
  });
});

describe('stack frames users read', () => {
  it.each([
    [
      'at run (/srv/app/shared/domain/nodes/run-node.ts:12:3)',
      'at run (shared/domain/nodes/run-node.ts:12:3)',
    ],
    ['at /srv/app/functions/nodes/handler.ts:4:1', 'at functions/nodes/handler.ts:4:1'],
    [
      'at q (file:///srv/app/node_modules/kysely/dist/esm/q.js:3:4)',
      'at q (node_modules/kysely/dist/esm/q.js:3:4)',
    ],
    ['at Runtime.handler (file:///var/task/index.mjs:1:2345)', 'at Runtime.handler (index.mjs:1:2345)'],
    ['at Object.<anonymous> (/tmp/pw-node-abc/script.js:3)', 'at Object.<anonymous> (script.js:3)'],
    ['at C:\\srv\\app\\infra\\local\\x.ts:1:1', 'at infra/local/x.ts:1:1'],
  ])('%j → %j', (frame, shown) => {
    expect(projectRelativeFrames([frame])).toEqual([shown]);
  });

  it.each(['at node:internal/process/task_queues:95:5', 'at async Promise.all (index 0)', 'at <anonymous>'])(
    'leaves %j alone',
    (frame) => {
      expect(projectRelativeFrames([frame])).toEqual([frame]);
    },
  );
});
