import { ApiError, CSRF_HEADER, SessionExpired, withQuery, type Problem } from '../api.ts';

/**
 * Sends a CSV file to the import API with XMLHttpRequest rather than fetch, because only XHR
 * reports upload progress. Same session rules as the API client: CSRF header, one refresh and
 * retry on 401, sign-in again when that fails too.
 */
export interface UploadDeps {
  csrfToken: () => string | undefined;
  refreshSession: () => Promise<boolean>;
  onSessionLost: () => void;
  /** For tests; the browser's XMLHttpRequest otherwise. */
  createRequest?: () => XMLHttpRequest;
}

export function uploadFile<T>(
  deps: UploadDeps,
  path: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<T> {
  const attempt = () =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const xhr = deps.createRequest?.() ?? new XMLHttpRequest();
      xhr.open('POST', withQuery(path, { filename: file.name }));
      xhr.setRequestHeader('content-type', 'text/csv');
      xhr.setRequestHeader('accept', 'application/json');
      const csrf = deps.csrfToken();
      if (csrf) xhr.setRequestHeader(CSRF_HEADER, csrf);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => {
        let body: unknown;
        try {
          body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
        } catch {
          body = null;
        }
        resolve({ status: xhr.status, body });
      };
      xhr.onerror = () => reject(new Error('The upload was interrupted.'));
      xhr.send(file);
    });

  return (async () => {
    let res = await attempt();
    if (res.status === 401) {
      if (await deps.refreshSession()) res = await attempt();
      if (res.status === 401) {
        deps.onSessionLost();
        throw new SessionExpired();
      }
    }
    if (res.status >= 200 && res.status < 300) return res.body as T;
    // A failed import (422) still has its report: the caller shows it.
    if (res.status === 422 && res.body && typeof res.body === 'object' && 'id' in res.body) return res.body as T;
    const problem = (res.body ?? {}) as Partial<Problem>;
    throw new ApiError({ ...problem, title: problem.title ?? 'Upload failed', status: res.status });
  })();
}
