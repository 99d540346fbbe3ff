/**
 * Tokens and who they act as. A token is a user's (a personal access token: every permission the
 * user has), an installation's (a GitHub App token minted with chosen permissions, like
 * actions/create-github-app-token gets), or a run's `GITHUB_TOKEN` (`github-actions[bot]`, whose
 * events start no workflows on GitHub).
 */
import { randomBytes } from 'node:crypto';
import type { Actor, Permission, PermissionName, Permissions } from './store/records.ts';

export type TokenKind = 'user' | 'installation' | 'github-actions';

export interface Principal {
  token: string;
  kind: TokenKind;
  actor: Actor;
  permissions: Permissions;
  /** `owner/name` the token may touch; undefined: every repository. */
  repositories?: string[];
  /** A repository administrator (user tokens): may bypass branch protection unless it is enforced for admins. */
  admin: boolean;
  expiresAt?: Date;
}

export const ALL_PERMISSIONS: Permissions = {
  contents: 'write',
  pull_requests: 'write',
  issues: 'write',
  statuses: 'write',
  deployments: 'write',
  actions: 'write',
  workflows: 'write',
  administration: 'write',
  metadata: 'read',
};

export interface MintTokenOptions {
  kind?: Exclude<TokenKind, 'user'>;
  permissions?: Permissions;
  repositories?: string[];
  /** Bot login; default `taxiway-app[bot]` (installation) or `github-actions[bot]`. */
  login?: string;
  /** Default one hour, like an installation token. */
  expiresInMs?: number;
}

export interface MintedToken {
  token: string;
  expiresAt: string;
  login: string;
  permissions: Permissions;
}

export function allows(granted: Permission | undefined, needed: Permission): boolean {
  return granted === 'write' || (granted === 'read' && needed === 'read');
}

export class TokenRegistry {
  private readonly tokens = new Map<string, Principal>();
  private nextActorId = 100;

  /** A user's personal access token with every permission (`admin`: repository administrator). */
  addUserToken(token: string, login: string, admin = true): Principal {
    const principal: Principal = {
      token,
      kind: 'user',
      actor: { login, id: this.nextActorId++, type: 'User' },
      permissions: ALL_PERMISSIONS,
      admin,
    };
    this.tokens.set(token, principal);
    return principal;
  }

  mint(options: MintTokenOptions = {}): MintedToken {
    const kind = options.kind ?? 'installation';
    const prefix = 'ghs_';
    const token = prefix + randomBytes(18).toString('base64url');
    const login = options.login ?? (kind === 'github-actions' ? 'github-actions[bot]' : 'taxiway-app[bot]');
    const expiresAt = new Date(Date.now() + (options.expiresInMs ?? 3_600_000));
    const permissions = { metadata: 'read' as const, ...(options.permissions ?? ALL_PERMISSIONS) };
    this.tokens.set(token, {
      token,
      kind,
      actor: { login, id: this.nextActorId++, type: 'Bot' },
      permissions,
      repositories: options.repositories,
      admin: false,
      expiresAt,
    });
    return { token, expiresAt: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'), login, permissions };
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** The principal of a token, or undefined when unknown or expired. */
  lookup(token: string): Principal | undefined {
    const principal = this.tokens.get(token);
    if (!principal) return undefined;
    if (principal.expiresAt && principal.expiresAt.getTime() <= Date.now()) return undefined;
    return principal;
  }

  static canAccess(principal: Principal, fullName: string): boolean {
    return !principal.repositories || principal.repositories.includes(fullName);
  }

  static has(principal: Principal, name: PermissionName, level: Permission): boolean {
    return allows(principal.permissions[name], level);
  }
}

/** The token in an `Authorization` header: `token X`, `Bearer X`, or Basic with the token as password. */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2) as [string, string | undefined];
  if (!value) return undefined;
  switch (scheme.toLowerCase()) {
    case 'token':
    case 'bearer':
      return value;
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon < 0 ? decoded : decoded.slice(colon + 1) || decoded.slice(0, colon);
    }
    default:
      return undefined;
  }
}
