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

// onnxruntime-node (the ONNX tests' runtime) ships its CPU build in the package; its install
// script only downloads a CUDA provider from a host outside the npm registry, which fails here and
// is not needed. package.json's allowScripts denies that script to an npm that reads allowScripts;
// this variable makes the script skip itself under any npm.
const npmEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };

function npm(args) {
  return spawnSync('npm', [...args, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env: npmEnv })
    .status;
}

if (needsInstall()) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  console.log(`[${pkg.name}] installing dependencies (first run only)…`);
  // `npm ci` installs exactly the committed lockfile and never rewrites it. The lockfile lists the
  // native bindings of every platform as optional packages; npm installs the one this machine needs.
  // No fallback to `npm install`: it would rewrite package-lock.json and hide a lockfile problem.
  const status = existsSync(lock) ? npm(['ci']) : npm(['install']);
  if (status !== 0) {
    console.error(
      `[${pkg.name}] installing dependencies failed (npm exit code ${status}). ` +
        'The messages above say why (often the network or the npm registry). Fix that and run the command again; ' +
        'package-lock.json was left as committed.',
    );
    process.exit(status ?? 1);
  }
}
