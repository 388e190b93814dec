// Headless Chromium for the dashboard tests: Debian's `chromium` (CI installs it: PGWARD_EXTRA_PACKAGES
// in .ci/run) driven by playwright-core, with the flags that keep it off the network (this machine has
// none) and a fresh profile in a temp dir that is removed on close. A missing browser fails the test
// with the command that installs it: never a silent skip.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.PGWARD_CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox', // tests run as root in CI
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the dashboard tests need it (as root: apt-get install -y chromium; CI installs it)`,
    );
  const profile = mkdtempSync(join(tmpdir(), 'pgward-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    return {
      context,
      close: async () => {
        await context.close().catch(() => {});
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
