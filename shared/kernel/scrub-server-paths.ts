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

/** Top-level folders of this project: a frame's path is shown from the first of them on. */
const PROJECT_FOLDERS = new Set(['shared', 'functions', 'infra', 'bin', 'bench', 'scripts', 'test']);
const FRAME_PATH = /(?<=^|[\s(])(?:file:\/\/)?((?:\/|[A-Za-z]:\\)[^\s()'"]+?)(?=(?::\d+){0,2}(?:\)|\s*$))/g;

/**
 * Stack frames as a user may read them in a job's failure: paths relative to the project
 * (`shared/domain/nodes/x.ts:12:3`) or to its dependencies (`node_modules/kysely/…`), and any other
 * file (a Lambda bundle under /var/task, a scratch file) by its name alone. Full stacks go to the
 * logs; a record keeps only this.
 */
export function projectRelativeFrames(frames: readonly string[]): string[] {
  return frames.map((frame) => frame.replace(FRAME_PATH, (_whole, path: string) => relative(path)));
}

function relative(path: string): string {
  const parts = path.split(/[\\/]/);
  const dependency = parts.lastIndexOf('node_modules');
  if (dependency >= 0) return parts.slice(dependency).join('/');
  const project = parts.findIndex((part) => PROJECT_FOLDERS.has(part));
  if (project >= 0) return parts.slice(project).join('/');
  return parts.at(-1) ?? '';
}
