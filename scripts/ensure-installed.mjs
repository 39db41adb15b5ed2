// Runs before `npm start`, `npm test` and friends: a fresh clone has no node_modules, and the
// README promises that those two commands are all a newcomer needs. Plain Node, no dependencies.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

function needsInstall() {
  if (!existsSync(marker)) return true;
  // A lockfile newer than the installed tree means dependencies changed since the last install.
  return existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000;
}

if (needsInstall()) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  console.log(`[${pkg.name}] installing dependencies (first run only)…`);
  const args = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  const result = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[${pkg.name}] npm ${args[0]} failed with exit code ${result.status}.`);
    process.exit(result.status ?? 1);
  }
}
