import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A measurement process killed outright (out of memory, SIGKILL) cannot stop the PostgreSQL it
 * started; its postmaster.pid names it. Stop that one process (fast shutdown), nothing else.
 */
export async function stopOrphanedPostmaster(dataDir: string): Promise<void> {
  const pidFile = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(pidFile?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!commandLine.includes('postgres') || !commandLine.includes(dataDir)) return;
  console.error(`stopping PostgreSQL ${pid} left running in ${dataDir}`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
