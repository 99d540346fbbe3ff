/** An error answer in GitHub's shape: `{ message, documentation_url, errors?, status }`. */

export interface FieldError {
  resource: string;
  code: string;
  field?: string;
  message?: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly errors?: FieldError[];
  readonly documentationUrl?: string;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    options: { errors?: FieldError[]; documentationUrl?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.errors = options.errors;
    this.documentationUrl = options.documentationUrl;
    this.headers = options.headers ?? {};
  }
}

export const PROTECTED_BRANCHES_DOCS = 'https://docs.github.com/articles/about-protected-branches';

export function notFound(): ApiError {
  return new ApiError(404, 'Not Found');
}

/** 422 "Validation Failed" with GitHub's `errors[]`. */
export function validationFailed(...errors: FieldError[]): ApiError {
  return new ApiError(422, 'Validation Failed', { errors });
}

/** A 422 with a message of its own (GitHub uses these for git data errors: "Reference already exists"). */
export function unprocessable(message: string): ApiError {
  return new ApiError(422, message);
}

export function errorBody(error: ApiError, fallbackDocs: string): Record<string, unknown> {
  return {
    message: error.message,
    ...(error.errors ? { errors: error.errors } : {}),
    documentation_url: error.documentationUrl ?? fallbackDocs,
    status: String(error.status),
  };
}
