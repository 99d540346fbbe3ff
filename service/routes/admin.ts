/** POST /admin/reload: the deploy hook (re-read git now); disabled without ADMIN_TOKEN. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { header } from '../http-io.ts';
import type { RouteModule } from './context.ts';

export const RELOAD_PATH = '/admin/reload';

export const adminRoutes: RouteModule = (app, { config, models, logger, fail, replyJson }) => {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const adminDigest = config.adminToken ? digest(config.adminToken) : null;
  app.post(RELOAD_PATH, async (c) => {
    if (!adminDigest) return fail(c, 404, 'admin endpoints are disabled: the service was started without ADMIN_TOKEN');
    const auth = header(c, 'authorization') ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!token || !timingSafeEqual(digest(token), adminDigest)) {
      logger.warn('admin_auth_failed', { requestId: c.get('requestId'), route: RELOAD_PATH });
      return fail(c, 401, [{ field: 'authorization', problem: 'must be "Bearer <ADMIN_TOKEN>"' }], {
        'www-authenticate': 'Bearer realm="taxiway-admin"',
      });
    }
    const outcome = await models.sync('admin', true);
    const status = outcome.result !== 'failed' ? 200 : outcome.reason === 'source_error' ? 502 : 422;
    return replyJson(c, { ...outcome, serving: (models.status() as { serving: unknown }).serving }, status);
  });
};
