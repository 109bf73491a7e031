/**
 * The status page in a real headless Chromium (Debian's package, driven by playwright-core): it
 * loads, shows a file uploading with its progress (the emulator throttles its parts), then a
 * parked file with its reason, updating without a reload; file names are text, never markup.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { freePort } from './observe-helpers.js';

/** Runs in the page: the DOM's types, which this Node project does not load. */
declare const window: Record<string, unknown>;
declare const document: {
  querySelector(s: string): { getAttribute(n: string): string | null } | null;
  documentElement: { scrollWidth: number };
};

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'page-token-abcdef123456';
// The README's picture, refreshed on request (UPDATE_SCREENSHOT=1 npm test); otherwise a test run
// leaves the work tree as it found it, and the screenshot goes to the browser's temp profile.
const README_SCREENSHOT = join(import.meta.dirname, '..', '..', 'docs', 'status-page.png');
/** A name that would run script if it ever reached innerHTML. */
const EVIL = '<img src=x onerror="window.pwned=1">.txt';

async function launch(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
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
    viewport: { width: 900, height: 1100 },
  });
}

describe.skipIf(!existsSync(CHROMIUM))('status page in headless Chromium', () => {
  let fx: SyncFixture | undefined;
  let browser: BrowserContext | undefined;
  let profile: ReturnType<typeof tempDir> | undefined;
  afterEach(async () => {
    await browser?.close();
    profile?.remove();
    await fx?.cleanup();
    fx = browser = profile = undefined;
  });

  it('shows an upload in progress, then a parked file with its reason, live; acts only with the token', async () => {
    const port = await freePort();
    fx = await createSyncFixture([{ name: 'main' }, { name: 'docs' }], {
      max_attempts: 1,
      concurrency: { files: 2, parts_per_file: 2 },
      http: { listen: `127.0.0.1:${port}`, token: '${TEST_HTTP_TOKEN}' },
    });
    const env = { TEST_HTTP_TOKEN: TOKEN };
    // Each part of big.bin arrives at 25 KiB/s: the upload takes about 20 s, with progress every 4 s.
    fx.emu.emulator.faults.add({
      match: { operation: 'UploadPart', key: 'main/big.bin' },
      times: Infinity,
      action: { type: 'throttle', bytesPerSecond: 25 * 1024 },
    });
    fx.emu.emulator.faults.add({
      match: { operation: 'PutObject', key: `main/${EVIL}` },
      times: Infinity,
      action: { type: 'error', status: 400, code: 'InvalidArgument' },
    });
    writeFileSync(join(fx.folder('docs'), 'readme.txt'), 'hello');
    const run = fx.spawnCli(['run', '--config', fx.configPath], env);
    await run.waitForLog((r) => r.msg === 'status page and /metrics listening');

    profile = tempDir('oss-sync-chromium-');
    browser = await launch(profile.path);
    const page = browser.pages()[0] ?? (await browser.newPage());
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    const url = `http://127.0.0.1:${port}/`;
    // Without the token: the sign-in form, not the page.
    await page.goto(url);
    await page.locator('input[name=token]').fill('wrong');
    await page.locator('button[type=submit]').click();
    await page.getByText('wrong token').waitFor();
    await page.locator('input[name=token]').fill(TOKEN);
    await page.locator('button[type=submit]').click();
    await page.locator('#folders tbody tr[data-folder="docs"]').waitFor();
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const loadsAfterSignIn = navigations;

    // A file uploading, with its progress bar and rate, appears without a reload.
    writeFileSync(join(fx.folder('main'), 'big.bin'), Buffer.alloc(1024 * 1024, 7));
    const transfer = page.locator('.transfer[data-path="main/big.bin"]');
    await transfer.waitFor({ timeout: 20_000 });
    await page.waitForFunction(
      () => Number(document.querySelector('.transfer[data-path="main/big.bin"] .bar')?.getAttribute('aria-valuenow')) > 0,
      undefined,
      {
        timeout: 20_000,
      },
    );
    await expect(transfer.locator('.meta').textContent()).resolves.toMatch(/^\d+(\.\d)?% of 1\.0 MiB( at .+\/s)?$/);

    // A parked file with its reason; its name shown as text.
    writeFileSync(join(fx.folder('main'), EVIL), 'never accepted');
    const parked = page.locator('#problems li').filter({ hasText: EVIL });
    await parked.waitFor({ timeout: 30_000 });
    await expect(parked.textContent()).resolves.toContain('parked after 1 attempt(s)');
    await expect(parked.locator('.reason').textContent()).resolves.toMatch(/InvalidArgument|400/);
    await page.getByText('Parked', { exact: false }).first().waitFor();
    await page.locator('#plot polyline').waitFor({ state: 'attached' });

    // Pause a folder: the page asks for the token (the cookie alone may not act), then shows it paused.
    page.once('dialog', (dialog) => void dialog.accept(TOKEN));
    await page.locator('#folders tr[data-folder="docs"] button', { hasText: 'pause' }).click();
    await page.locator('#folders tr[data-folder="docs"] button', { hasText: 'resume' }).waitFor();
    await page.locator('#health', { hasText: '1 folder(s) paused' }).waitFor();
    await page.screenshot({
      path: process.env.UPDATE_SCREENSHOT ? README_SCREENSHOT : join(profile.path, 'status-page.png'),
      fullPage: true,
    });
    await page.locator('#folders tr[data-folder="docs"] button', { hasText: 'resume' }).click();
    await page.locator('#folders tr[data-folder="docs"] button', { hasText: 'pause' }).waitFor();

    // Still the same document: updated live, never reloaded; no markup from a file name ran.
    expect(navigations).toBe(loadsAfterSignIn);
    expect(await page.evaluate(() => (window as unknown as { marker?: number; pwned?: number }).marker)).toBe(42);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);

    // Readable on a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.content()).not.toContain(TOKEN);
  });
});
