/** The product's roles, from least to most trusted. */
export const roles = ['user', 'manager', 'admin'] as const;
export type Role = (typeof roles)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

/** Who is making a request: a signed-in person or an external system with an API key. */
export type Principal =
  | { kind: 'user'; userId: string; role: Role; email: string }
  | { kind: 'api_key'; apiKeyId: string; role: Role; scopes: string[]; name: string };
