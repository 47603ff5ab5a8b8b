import { goto } from '$app/navigation';
import { createApiClient, CSRF_COOKIE, loginHref, readCookie } from './api.ts';

/** The app's API client: same-origin cookies, CSRF header, refresh-and-retry, back to login when the session ends. */
export const api = createApiClient({
  fetch: (input, init) => globalThis.fetch(input, init),
  csrfToken: () => readCookie(CSRF_COOKIE),
  onSessionLost: () => void goto(loginHref(window.location), { replaceState: true, invalidateAll: true }),
});
