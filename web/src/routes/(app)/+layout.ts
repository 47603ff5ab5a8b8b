import { redirect } from '@sveltejs/kit';
import { loginHref, SessionExpired } from '$lib/api.ts';
import { api } from '$lib/client.ts';
import { loadCurrentUser } from '$lib/session.ts';
import type { LayoutLoad } from './$types';

// Every page in (app) needs a session: without one, sign in and come back here.
export const load = (async ({ url }) => {
  try {
    return { user: await loadCurrentUser(api.get) };
  } catch (err) {
    if (err instanceof SessionExpired) redirect(307, loginHref(url));
    throw err;
  }
}) satisfies LayoutLoad;
