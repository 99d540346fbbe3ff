import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ConflictError,
  ForgeError,
  NotFoundError,
  ProtectedBranchError,
  ValidationError,
  forgeErrorFromResponse,
} from './errors.ts';

describe('forgeErrorFromResponse', () => {
  it('maps GitHub statuses to typed errors that name the resource', () => {
    const notFound = forgeErrorFromResponse('pull request #9 in o/r', 404, { message: 'Not Found' });
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect(notFound.message).toBe('pull request #9 in o/r: 404 Not Found');
    expect(forgeErrorFromResponse('x', 409, { message: 'Head branch was modified.' })).toBeInstanceOf(ConflictError);
    expect(forgeErrorFromResponse('x', 405, { message: 'Pull Request is not mergeable' })).toBeInstanceOf(
      ConflictError,
    );
    expect(forgeErrorFromResponse('x', 401, { message: 'Bad credentials' })).toBeInstanceOf(AuthError);
    expect(forgeErrorFromResponse('x', 502, 'bad gateway')).toBeInstanceOf(ForgeError);
  });

  it('keeps the errors[] of a validation failure', () => {
    const error = forgeErrorFromResponse('comment on #1', 422, {
      message: 'Validation Failed',
      errors: [
        {
          resource: 'IssueComment',
          code: 'custom',
          field: 'body',
          message: 'body is too long (maximum is 65536 characters)',
        },
      ],
      documentation_url: 'https://docs.github.com/rest',
    });
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.field).toBe('body');
    expect(error.message).toContain('body is too long');
  });

  it('recognises a branch-protection refusal', () => {
    const error = forgeErrorFromResponse('merge of pull request #3', 405, {
      message: 'Required status check "model-gate" is expected.',
      documentation_url: 'https://docs.github.com/articles/about-protected-branches',
    });
    expect(error).toBeInstanceOf(ProtectedBranchError);
    expect(error.status).toBe(405);
    expect(error.githubMessage).toBe('Required status check "model-gate" is expected.');
  });
});
