import { describe, expect, it } from 'vitest';
import { scrubServerPaths } from '../../../../shared/kernel/scrub-server-paths';

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
