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

/**
 * The project's root folder, from this module's own location (`<root>/shared/kernel`), or
 * undefined where the code runs bundled (a Lambda's /var/task/index.mjs), which has no project
 * layout to show.
 */
const PROJECT_ROOT = projectRoot(import.meta.dirname);

/** A frame's file: inside parentheses (it may contain spaces), or alone after `at`, up to its line and column. */
const FRAME_PATH =
  /(?<=\()(?:file:\/\/)?((?:\/|[A-Za-z]:\\)[^()\n]*?)(?=(?::\d+){0,2}\))|(?<=^|\s)(?:file:\/\/)?((?:\/|[A-Za-z]:\\)[^()'"\n]*?)(?=(?::\d+){0,2}\s*$)/g;

/**
 * Stack frames as a user may read them in a job's failure: paths relative to the project
 * (`shared/domain/nodes/x.ts:12:3`) or to its dependencies (`node_modules/kysely/…`), and any other
 * file (a Lambda bundle under /var/task, a scratch file) by its name alone. Full stacks go to the
 * logs; a record keeps only this.
 */
export function projectRelativeFrames(frames: readonly string[], root = PROJECT_ROOT): string[] {
  return frames.map((frame) =>
    frame.replace(FRAME_PATH, (_whole, inParentheses?: string, alone?: string) =>
      relative(inParentheses ?? alone ?? '', root),
    ),
  );
}

/** `<root>` for a module in `<root>/shared/kernel`, with `/` separators; undefined elsewhere. */
export function projectRoot(moduleDirectory: string | undefined): string | undefined {
  if (!moduleDirectory) return undefined;
  const parts = moduleDirectory.split(/[\\/]/);
  if (parts.at(-1) !== 'kernel' || parts.at(-2) !== 'shared' || parts.length < 3) return undefined;
  const root = parts.slice(0, -2).join('/');
  return root === '' ? undefined : root;
}

function relative(path: string, root: string | undefined): string {
  const normalized = path.replaceAll('\\', '/');
  const parts = normalized.split('/');
  const dependency = parts.lastIndexOf('node_modules');
  if (dependency >= 0) return parts.slice(dependency).join('/');
  if (root !== undefined && normalized.startsWith(`${root}/`)) return normalized.slice(root.length + 1);
  return parts.at(-1) ?? '';
}
