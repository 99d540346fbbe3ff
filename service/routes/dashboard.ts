/**
 * GET /dashboard: one page with charts drawn by uPlot (from the `uplot` package, served from
 * node_modules: no CDN, no build step), fed by GET /dashboard/data (dashboard-data.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ManifestCommit } from '../../lib/release/manifest-history.ts';
import { errorMessage } from '../../lib/util/errors.ts';
import { dashboardData, type MetricsSampler } from '../dashboard-data.ts';
import type { RouteModule } from './context.ts';

export const DASHBOARD_PATH = '/dashboard';

/** Commits of the manifest history shown on the timeline. */
const TIMELINE_COMMITS = 50;
/** The timeline is read from git at most this often. */
const TIMELINE_TTL_MS = 30_000;

export interface DashboardDeps {
  sampler: MetricsSampler;
  /** The manifest's history from the model source (git), when it has one. */
  history?: (limit: number) => Promise<ManifestCommit[]>;
}

export function dashboardRoutes({ sampler, history }: DashboardDeps): RouteModule {
  return (app, { metrics, models, reply, replyJson }) => {
    const require = createRequire(import.meta.url);
    const file = (path: string | URL) => readFileSync(path, 'utf8');
    const assets: Record<string, [string, string]> = {
      'uplot.js': [file(require.resolve('uplot/dist/uPlot.iife.min.js')), 'text/javascript; charset=utf-8'],
      'uplot.css': [file(require.resolve('uplot/dist/uPlot.min.css')), 'text/css; charset=utf-8'],
      'dashboard.js': [file(new URL('../dashboard/dashboard.js', import.meta.url)), 'text/javascript; charset=utf-8'],
    };
    const page = file(new URL('../dashboard/index.html', import.meta.url));
    let timeline: { at: number; commits: ManifestCommit[]; error: string | null } | null = null;
    const readTimeline = async () => {
      if (timeline && Date.now() - timeline.at < TIMELINE_TTL_MS) return timeline;
      if (!history) return (timeline = { at: Date.now(), commits: [], error: 'the model source has no git history' });
      try {
        timeline = { at: Date.now(), commits: await history(TIMELINE_COMMITS), error: null };
      } catch (error) {
        timeline = { at: Date.now(), commits: [], error: `cannot read the manifest history: ${errorMessage(error)}` };
      }
      return timeline;
    };

    app.get(DASHBOARD_PATH, (c) => reply(c, 200, page, { 'content-type': 'text/html; charset=utf-8' }));
    app.get(`${DASHBOARD_PATH}/data`, async (c) => {
      const { commits, error } = await readTimeline();
      const serving = (models.current as { version?: string } | null)?.version ?? null;
      return replyJson(c, dashboardData(sampler, metrics, { timeline: commits, timelineError: error, serving }));
    });
    for (const [name, [text, type]] of Object.entries(assets)) {
      app.get(`${DASHBOARD_PATH}/${name}`, (c) =>
        reply(c, 200, text, { 'content-type': type, 'cache-control': 'max-age=3600' }),
      );
    }
  };
}
