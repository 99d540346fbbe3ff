/**
 * A TokenIssuer for runs without the emulator: opaque random tokens that remember what they were
 * issued with (permissions, App installation), so runs still record and mask them. Nothing checks
 * them — a plain git remote takes none; the emulator's issuer mints tokens its API enforces.
 */
import { randomBytes } from 'node:crypto';
import type { IssuedToken, Permissions, TokenIssuer } from './ports.ts';

export interface LocalTokenIssuer extends TokenIssuer {
  /** Tokens issued and not revoked, with what they carry. */
  readonly live: Map<string, { kind: 'job' | 'app'; permissions: Permissions }>;
}

export function localTokenIssuer(options: { now?: () => Date; appPermissions?: Permissions } = {}): LocalTokenIssuer {
  const now = options.now ?? (() => new Date());
  const live = new Map<string, { kind: 'job' | 'app'; permissions: Permissions }>();
  const issue = (kind: 'job' | 'app', prefix: string, permissions: Permissions): IssuedToken => {
    const token = `${prefix}_${randomBytes(18).toString('base64url')}`;
    live.set(token, { kind, permissions });
    return { token, permissions, expiresAt: new Date(now().getTime() + 3_600_000).toISOString() };
  };
  return {
    live,
    async jobToken(request) {
      return issue('job', 'ghs', request.permissions);
    },
    async appToken(request) {
      const permissions = request.permissions ??
        options.appPermissions ?? { contents: 'write', 'pull-requests': 'write' };
      return { ...issue('app', 'ghs', permissions), installationId: 1, appSlug: `local-app-${request.appId}` };
    },
    async revoke(token) {
      live.delete(token);
    },
  };
}
