/**
 * Typed forge errors. Each names the resource it was about (`pull request #3`, `ref heads/main`)
 * and keeps GitHub's status, message, `errors[]` and documentation URL, so a caller can branch on
 * the class and a person can read the cause.
 */

/** One entry of GitHub's `errors[]` in a 422 "Validation Failed" body. */
export interface GitHubFieldError {
  resource?: string;
  field?: string;
  code: string;
  message?: string;
}

/** The JSON body GitHub sends with a 4xx/5xx. */
export interface GitHubErrorBody {
  message: string;
  documentation_url?: string;
  errors?: (GitHubFieldError | string)[];
  status?: string;
}

export class ForgeError extends Error {
  override name = 'ForgeError';
  /** What the request was about, e.g. `pull request #3 in o/r`. */
  readonly resource: string;
  readonly status: number;
  /** GitHub's own message (`Not Found`, `Pull Request is not mergeable`, …). */
  readonly githubMessage: string;
  readonly documentationUrl?: string;

  constructor(resource: string, status: number, githubMessage: string, documentationUrl?: string) {
    super(`${resource}: ${status} ${githubMessage}`);
    this.resource = resource;
    this.status = status;
    this.githubMessage = githubMessage;
    this.documentationUrl = documentationUrl;
  }
}

/** 404: the repository, ref, pull request, run… does not exist (or the token may not see it). */
export class NotFoundError extends ForgeError {
  override name = 'NotFoundError';
}

/** 409, or 405 "not mergeable": the state moved or the merge conflicts. */
export class ConflictError extends ForgeError {
  override name = 'ConflictError';
}

/** 422 "Validation Failed" (or another 422) with GitHub's `errors[]`. */
export class ValidationError extends ForgeError {
  override name = 'ValidationError';
  readonly errors: GitHubFieldError[];

  constructor(
    resource: string,
    status: number,
    githubMessage: string,
    errors: GitHubFieldError[],
    documentationUrl?: string,
  ) {
    super(resource, status, githubMessage, documentationUrl);
    this.errors = errors;
    const details = errors.map((e) => e.message ?? [e.resource, e.field, e.code].filter(Boolean).join(' ')).join('; ');
    if (details) this.message = `${this.message} (${details})`;
  }
}

/** Branch protection refused the change: a required status check is missing or failing, a push to a protected branch. */
export class ProtectedBranchError extends ForgeError {
  override name = 'ProtectedBranchError';
}

/** 401 (no or bad token) or 403 (the token lacks a permission). */
export class AuthError extends ForgeError {
  override name = 'AuthError';
}

const PROTECTION_HINTS = [/required status check/i, /protected branch/i, /about-protected-branches/i, /GH006/];

function isProtectionRefusal(body: GitHubErrorBody): boolean {
  const text = `${body.message} ${body.documentation_url ?? ''}`;
  return PROTECTION_HINTS.some((pattern) => pattern.test(text));
}

function fieldErrors(errors: GitHubErrorBody['errors']): GitHubFieldError[] {
  return (errors ?? []).map((e) => (typeof e === 'string' ? { code: 'custom', message: e } : e));
}

/** The typed error for a GitHub error response. */
export function forgeErrorFromResponse(resource: string, status: number, body: unknown): ForgeError {
  const parsed: GitHubErrorBody =
    body && typeof body === 'object' && typeof (body as GitHubErrorBody).message === 'string'
      ? (body as GitHubErrorBody)
      : { message: typeof body === 'string' && body ? body : `HTTP ${status}` };
  const { message, documentation_url: docs } = parsed;
  if (isProtectionRefusal(parsed) && (status === 405 || status === 403 || status === 422 || status === 409)) {
    return new ProtectedBranchError(resource, status, message, docs);
  }
  switch (status) {
    case 401:
    case 403:
      return new AuthError(resource, status, message, docs);
    case 404:
      return new NotFoundError(resource, status, message, docs);
    case 405:
    case 409:
      return new ConflictError(resource, status, message, docs);
    case 422:
      return new ValidationError(resource, status, message, fieldErrors(parsed.errors), docs);
    default:
      return new ForgeError(resource, status, message, docs);
  }
}

export function isNotFound(error: unknown): error is NotFoundError {
  return error instanceof NotFoundError;
}
