import { describe, expect, it } from 'vitest';
import path from 'node:path';
import {
  projectRelativeFrames,
  projectRoot,
  scrubServerPaths,
} from '../../../../shared/kernel/scrub-server-paths';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');

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
    // Outside the project's root, a folder named like one of the project's says nothing about it.
    ['at f (/home/test/src/pipeweave/shared/x.ts:1:2)', 'at f (x.ts:1:2)'],
    ['at /srv/other/infra/local/x.ts:1:1', 'at x.ts:1:1'],
  ])('%j → %j', (frame, shown) => {
    expect(projectRelativeFrames([frame], '/srv/app')).toEqual([shown]);
  });

  it('shows paths under a root with spaces relative to it, and other paths with spaces by name', () => {
    expect(
      projectRelativeFrames(
        [
          'at run (/home/a user/pipe weave/shared/domain/x.ts:12:3)',
          'at /home/a user/pipe weave/functions/h.ts:4:1',
          'at g (/tmp/scratch dir/my script.js:3:1)',
        ],
        '/home/a user/pipe weave',
      ),
    ).toEqual(['at run (shared/domain/x.ts:12:3)', 'at functions/h.ts:4:1', 'at g (my script.js:3:1)']);
  });

  it('reads Windows paths against a Windows root', () => {
    expect(projectRelativeFrames(['at C:\\srv\\app\\infra\\local\\x.ts:1:1'], 'C:/srv/app')).toEqual([
      'at infra/local/x.ts:1:1',
    ]);
  });

  it("shows this project's own frames from its root, whatever folders lie above it", () => {
    const frames = (new Error('boom').stack ?? '').split('\n').slice(1);
    const shown = projectRelativeFrames(frames).join('\n');
    expect(shown).toContain('test/unit/shared/kernel/scrub-server-paths.test.ts:');
    expect(shown).not.toContain(REPO_ROOT);
  });

  it('finds the root two folders above shared/kernel, and none in a bundle', () => {
    expect(projectRoot('/home/test/src/pipeweave/shared/kernel')).toBe('/home/test/src/pipeweave');
    expect(projectRoot('C:\\src\\pipeweave\\shared\\kernel')).toBe('C:/src/pipeweave');
    expect(projectRoot('/var/task')).toBeUndefined();
    expect(projectRoot('/shared/kernel')).toBeUndefined();
    expect(projectRoot(undefined)).toBeUndefined();
  });

  it.each(['at node:internal/process/task_queues:95:5', 'at async Promise.all (index 0)', 'at <anonymous>'])(
    'leaves %j alone',
    (frame) => {
      expect(projectRelativeFrames([frame], '/srv/app')).toEqual([frame]);
    },
  );
});
