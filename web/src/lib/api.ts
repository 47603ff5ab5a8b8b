/**
 * The one client the app talks to the API through. The session lives in httpOnly cookies; this
 * adds the CSRF header (double submit: the value of the readable `lma_csrf` cookie) to every
 * state-changing request, and when the short-lived access token has expired it refreshes the
 * session once and retries, so the marketer keeps the page they were on. If the refresh fails
 * too, the session is over: the app goes to /login?next=<this page>.
 */

export const CSRF_COOKIE = 'lma_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** An RFC 9457 problem, as every API error is sent. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }

  /** Field errors keyed by their path without the leading `body.`/`query.`, for inline display. */
  fieldErrors(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const e of this.problem.errors ?? []) {
      const key = e.path.replace(/^(body|query|path)\.?/, '') || '_';
      (out[key] ??= []).push(e.message);
    }
    return out;
  }
}

/** The session could not be refreshed: the person must sign in again. */
export class SessionExpired extends Error {
  constructor() {
    super('Your session has ended. Sign in again.');
    this.name = 'SessionExpired';
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  /** JSON-encoded unless it is a Blob/File, which goes as is (CSV uploads). */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ApiClientDeps {
  fetch: typeof globalThis.fetch;
  /** Reads the CSRF cookie (fresh each time: a refresh sets a new one). */
  csrfToken: () => string | undefined;
  /** Called once when the session cannot be refreshed. */
  onSessionLost: () => void;
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
// A failed login or refresh is an answer, not an expired session.
const noRetry = new Set(['/api/auth/login', '/api/auth/refresh', '/api/auth/logout']);

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function problemOf(res: Response): Promise<Problem> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await res.json()) as Partial<Problem>;
      return { ...body, title: body.title ?? res.statusText, status: res.status };
    } catch {
      // fall through to a generic problem
    }
  }
  return { title: res.statusText || 'Request failed', status: res.status };
}

export function createApiClient(deps: ApiClientDeps) {
  let refreshing: Promise<boolean> | undefined;
  let lost = false;

  /** One refresh at a time: ten requests failing together share it. */
  function refreshSession(): Promise<boolean> {
    refreshing ??= (async () => {
      try {
        const res = await deps.fetch('/api/auth/refresh', {
          method: 'POST',
          credentials: 'same-origin',
          headers: csrfHeaders({ 'content-type': 'application/json' }),
          body: '{}',
        });
        return res.ok;
      } catch {
        return false;
      }
    })().finally(() => (refreshing = undefined));
    return refreshing;
  }

  function csrfHeaders(headers: Record<string, string>): Record<string, string> {
    const token = deps.csrfToken();
    return token ? { ...headers, [CSRF_HEADER]: token } : headers;
  }

  async function send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    let headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    let body: BodyInit | undefined;
    if (opts.body instanceof Blob) {
      body = opts.body;
      headers['content-type'] ??= opts.body.type || 'text/csv';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    if (unsafe.has(method)) headers = csrfHeaders(headers);
    return deps.fetch(withQuery(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  }

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    let res = await send(method, path, opts);
    if (res.status === 401 && !noRetry.has(path)) {
      if (await refreshSession()) {
        res = await send(method, path, opts);
      }
      if (res.status === 401) {
        if (!lost) {
          lost = true;
          deps.onSessionLost();
        }
        throw new SessionExpired();
      }
    }
    if (!res.ok) throw new ApiError(await problemOf(res));
    lost = false;
    if (res.status === 204) return undefined as T;
    const type = res.headers.get('content-type') ?? '';
    return (type.includes('json') ? await res.json() : await res.text()) as T;
  }

  return {
    request,
    refreshSession,
    get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
    post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body }),
    put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', path, { ...opts, body }),
    patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PATCH', path, { ...opts, body }),
    delete: <T>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

export function readCookie(name: string, cookies = typeof document === 'undefined' ? '' : document.cookie) {
  for (const part of cookies.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** Where to sign in and come back to the page the marketer was on. */
export function loginHref(here: { pathname: string; search: string }): string {
  const next = here.pathname + here.search;
  return next && next !== '/' && !next.startsWith('/login') ? `/login?next=${encodeURIComponent(next)}` : '/login';
}

/** Only a path inside the app: `next` must never send the person to another site. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}
