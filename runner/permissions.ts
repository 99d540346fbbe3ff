/**
 * The GITHUB_TOKEN permissions a job gets, by GitHub's rules: the job's `permissions:` replaces the
 * workflow's; `read-all` / `write-all` / `{}`; scopes not listed in a mapping get `none`; with no
 * `permissions:` anywhere the repository's default applies ("restricted": contents and packages
 * read, GitHub's default for new repositories; or "permissive": write everywhere). `metadata: read`
 * is always granted.
 */
import type { Access, Permissions } from './ports.ts';

/** The GITHUB_TOKEN scopes of the workflow syntax. */
export const TOKEN_SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
] as const;

export type DefaultPermissions = 'restricted' | 'permissive';

function all(access: Access): Permissions {
  // id-token is never granted write by default and has no read level.
  return Object.fromEntries(
    TOKEN_SCOPES.map((scope) => [scope, scope === 'id-token' ? (access === 'write' ? 'write' : 'none') : access]),
  );
}

function withMetadata(permissions: Permissions): Permissions {
  return { ...permissions, metadata: 'read' };
}

export function defaultPermissions(kind: DefaultPermissions): Permissions {
  if (kind === 'permissive') return withMetadata({ ...all('write'), 'id-token': 'none' });
  return withMetadata({ ...all('none'), contents: 'read', packages: 'read' });
}

/** `permissions:` as written (a string or a mapping, already plain JSON) to the full scope table. */
export function permissionsFrom(value: unknown, place: string): Permissions {
  if (value === 'read-all') return withMetadata(all('read'));
  if (value === 'write-all') return withMetadata(all('write'));
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const result = all('none');
    for (const [scope, access] of Object.entries(value)) {
      if (access !== 'read' && access !== 'write' && access !== 'none') {
        throw new Error(`${place}: permissions.${scope} must be read, write or none, got ${JSON.stringify(access)}`);
      }
      result[scope] = access;
    }
    return withMetadata(result);
  }
  throw new Error(`${place}: permissions must be read-all, write-all or a mapping, got ${JSON.stringify(value)}`);
}

export function jobPermissions(options: {
  workflow: unknown;
  job: unknown;
  fallback: DefaultPermissions;
  place: string;
}): Permissions {
  if (options.job !== undefined) return permissionsFrom(options.job, options.place);
  if (options.workflow !== undefined) return permissionsFrom(options.workflow, options.place);
  return defaultPermissions(options.fallback);
}

/** Only the scopes with access, for logs and records (`contents: read, pull-requests: write`). */
export function grantedScopes(permissions: Permissions): Permissions {
  return Object.fromEntries(Object.entries(permissions).filter(([, access]) => access !== 'none'));
}
