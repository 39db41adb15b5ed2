/**
 * Removes server file paths from a message a user will read: a library error about
 * `/tmp/pw-ingest-abc/raw` says where our scratch files live and nothing useful to the user.
 * Quoted absolute paths (`file "/tmp/…/raw"`) and bare ones (`/var/task/x.js`) become "the file".
 */
const QUOTED_PATH = /(?:\bfile\s+)?(["'])(?:\/|[A-Za-z]:\\)[^"'\n]*\1/g;
const BARE_PATH = /(?<![\w.:/\\-])\/(?:[\w.@+~-]+\/)+[\w.@+~-]*/g;

export function scrubServerPaths(message: string): string {
  return message.replace(QUOTED_PATH, 'the file').replace(BARE_PATH, 'the file');
}
