/**
 * GET /dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core): the
 * service serves this checkout's committed champion, takes real traffic and feedback, and the page
 * must draw every chart with data and log no console error. The screenshot is saved under
 * .cache/dashboard/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawFlight } from '../lib/features/spec.ts';
import type { ProductionManifest } from '../lib/manifest/schema.ts';
import { cardPath } from '../service/release-reader.ts';
import { startServerProcess, type ServerProcess } from '../testing/server-process.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = path.join(process.cwd(), '.cache', 'dashboard', 'dashboard.png');

let server: ServerProcess;
let context: BrowserContext | null = null;
const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'taxiway-chromium-'));

/** The committed champion's golden inputs, spread over hours and distances. */
function flights(): RawFlight[] {
  const manifest = JSON.parse(readFileSync('manifests/production.json', 'utf8')) as ProductionManifest;
  const card = JSON.parse(readFileSync(cardPath(manifest.champion), 'utf8')) as { golden: { input: RawFlight }[] };
  const base = card.golden.map((g) => g.input);
  return Array.from({ length: 240 }, (_, i) => {
    const f = base[i % base.length];
    const hour = String((Number(f.departure.slice(11, 13)) + i) % 24).padStart(2, '0');
    return { ...f, departure: `${f.departure.slice(0, 11)}${hour}${f.departure.slice(13, 16)}` };
  });
}

async function post(url: string, body: unknown): Promise<{ requestId: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { requestId: string };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the dashboard test needs Debian's chromium; install it with scripts/setup-system.sh (as root: apt-get install chromium)`,
    );
  }
  server = await startServerProcess({
    env: { MODEL_REPO_ROOT: process.cwd(), DASHBOARD_SAMPLE_SECONDS: '1', LOG_REQUESTS: 'false' },
    parseLogs: false,
  });
  await server.ready();
  // Traffic over a few samples, and an outcome for every prediction (every third one delayed).
  const all = flights();
  for (let round = 0; round < 3; round++) {
    for (let i = round * 80; i < (round + 1) * 80; i++) {
      const { requestId } = await post(`${server.url}/v1/predict`, all[i]);
      await post(`${server.url}/v1/feedback`, { requestId, delayMinutes: i % 3 === 0 ? 45 : 0 });
    }
    await post(`${server.url}/v1/predict`, { flights: all.slice(0, 64) });
    await new Promise((r) => setTimeout(r, 1100));
  }
}, 120_000);

afterAll(async () => {
  await context?.close();
  await server?.stop();
  rmSync(userDataDir, { recursive: true, force: true });
});

describe('GET /dashboard in headless Chromium', () => {
  it('draws traffic, latency, quality, drift and the version timeline with data, and logs no error', async () => {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1200, height: 1100 },
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
    const response = await page.goto(`${server.url}/dashboard`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('body[data-rendered="true"]', { timeout: 30_000 });

    const charts = await page.$$eval('.chart', (elements) =>
      elements.map((el) => ({
        id: el.id,
        points: Number(el.getAttribute('data-points') ?? '0'),
        canvases: el.querySelectorAll('canvas').length,
      })),
    );
    expect(charts.map((c) => c.id)).toEqual(['traffic', 'latency', 'quality', 'drift', 'timeline']);
    for (const chart of charts) {
      expect(chart.canvases, `${chart.id} has a uPlot canvas`).toBe(1);
      expect(chart.points, `${chart.id} has points`).toBeGreaterThan(0);
    }
    // The tables carry the figures behind the charts.
    const quality = await page.textContent('#quality-table');
    expect(quality).toContain('all');
    expect(quality).toMatch(/origin=|hour=|distance=/);
    const drift = await page.textContent('#drift-table');
    for (const feature of ['hour', 'distance', 'origin']) expect(drift).toContain(feature);
    // The committed history has promotions: the timeline marks them.
    const timeline = await page.$eval('#timeline', (el) => el.textContent ?? '');
    expect(timeline).toContain('promotion');

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(errors).toEqual([]);
  });
});
