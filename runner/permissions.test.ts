import { describe, expect, it } from 'vitest';
import { grantedScopes, jobPermissions, permissionsFrom } from './permissions.ts';

describe('GITHUB_TOKEN permissions', () => {
  it("gives unlisted scopes none, and the job's permissions replace the workflow's", () => {
    const permissions = jobPermissions({
      workflow: 'write-all',
      job: { contents: 'read', 'pull-requests': 'write' },
      fallback: 'permissive',
      place: 'w.yml',
    });
    expect(grantedScopes(permissions)).toEqual({ contents: 'read', 'pull-requests': 'write', metadata: 'read' });
  });

  it('uses the workflow permissions, then the repository default', () => {
    expect(grantedScopes(jobPermissions({ workflow: {}, job: undefined, fallback: 'permissive', place: 'w' }))).toEqual(
      { metadata: 'read' },
    );
    expect(
      grantedScopes(jobPermissions({ workflow: undefined, job: undefined, fallback: 'restricted', place: 'w' })),
    ).toEqual({
      contents: 'read',
      packages: 'read',
      metadata: 'read',
    });
    expect(permissionsFrom('read-all', 'w')['id-token']).toBe('none');
    expect(permissionsFrom('write-all', 'w').statuses).toBe('write');
  });

  it('refuses what GitHub refuses, naming the place', () => {
    expect(() => permissionsFrom({ contents: 'admin' }, 'w.yml (Line: 3, Col: 3)')).toThrow(
      'w.yml (Line: 3, Col: 3): permissions.contents must be read, write or none, got "admin"',
    );
  });
});
