import type { Role } from './permissions.ts';

/** Who is signed in, as GET /api/auth/me says. */
export interface CurrentUser {
  userId: string;
  email: string;
  role: Role;
}

interface MeResponse {
  principal: { kind: 'user'; userId: string; email: string; role: Role } | { kind: 'api_key' };
}

export async function loadCurrentUser(get: <T>(path: string) => Promise<T>): Promise<CurrentUser> {
  const { principal } = await get<MeResponse>('/api/auth/me');
  if (principal.kind !== 'user') throw new Error('The web app needs a signed-in person, not an API key.');
  return { userId: principal.userId, email: principal.email, role: principal.role };
}
