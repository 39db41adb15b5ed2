import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Makes sure Debian's Chromium is installed. As root it installs it with apt (the only way a
 * browser reaches this machine: browser downloads are not possible); otherwise, or if apt fails,
 * it throws with what to run, so a browser test fails loudly instead of being skipped.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    throw new Error(
      `${CHROMIUM_PATH} is missing and this process is not root. Install it: ` +
        'sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Other processes may be using apt at the same time: wait for the lock rather than fail.
  const lockWait = ['-o', 'DPkg::Lock::Timeout=300'];
  try {
    execFileSync('apt-get', [...lockWait, 'update'], { stdio: 'pipe', env, timeout: 300_000 });
    execFileSync('apt-get', [...lockWait, 'install', '-y', '--no-install-recommends', 'chromium'], {
      stdio: 'pipe',
      env,
      timeout: 600_000,
    });
  } catch (error) {
    const output =
      error instanceof Error && 'stderr' in error
        ? String((error as { stderr: unknown }).stderr).slice(-2000)
        : '';
    throw new Error(
      `Installing Debian's chromium with apt-get failed; browser tests cannot run.\n${output}`,
      {
        cause: error,
      },
    );
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} does not exist.`);
  }
  return CHROMIUM_PATH;
}

export interface HeadlessChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile directory, removed on close; no network beyond what pages ask. */
export async function launchChromium(): Promise<HeadlessChromium> {
  const executablePath = ensureChromium();
  const userDataDir = await mkdtemp(join(tmpdir(), 'pipeweave-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
