import { goto } from '$app/navigation';
import { createApiClient, CSRF_COOKIE, loginHref, readCookie } from './api.ts';
import type { UploadDeps } from './imports/upload.ts';

const onSessionLost = () => void goto(loginHref(window.location), { replaceState: true, invalidateAll: true });
const csrfToken = () => readCookie(CSRF_COOKIE);

/** The app's API client: same-origin cookies, CSRF header, refresh-and-retry, back to login when the session ends. */
export const api = createApiClient({ fetch: (input, init) => globalThis.fetch(input, init), csrfToken, onSessionLost });

/** The same session handling for file uploads (which need XHR for progress). */
export const uploadDeps: UploadDeps = { csrfToken, refreshSession: api.refreshSession, onSessionLost };
