/**
 * What each role may do, in the UI's words, as the API's route × role table decides it
 * (api/access.ts; permissions.test.ts checks that every rule here matches it). The UI hides what a
 * role cannot do; the API still refuses it.
 */
export type Role = 'user' | 'manager' | 'admin';

const everyone: readonly Role[] = ['user', 'manager', 'admin'];
const managers: readonly Role[] = ['manager', 'admin'];
const admins: readonly Role[] = ['admin'];

export const permissions = {
  /** 'POST /api/imports/customers', 'POST /api/imports/orders' */
  importData: { routes: ['POST /api/imports/customers', 'POST /api/imports/orders'], roles: managers },
  editSegments: { routes: ['PUT /api/segments/:id'], roles: managers },
  draftCampaigns: { routes: ['POST /api/campaigns', 'POST /api/campaigns/:id/generate'], roles: everyone },
  approveCampaigns: {
    routes: ['POST /api/campaigns/:id/approve', 'POST /api/campaigns/:id/start', 'POST /api/campaigns/:id/cancel'],
    roles: managers,
  },
  manageUsers: { routes: ['GET /api/users', 'POST /api/users', 'PATCH /api/users/:id'], roles: admins },
  manageApiKeys: { routes: ['GET /api/api-keys', 'POST /api/api-keys', 'DELETE /api/api-keys/:id'], roles: admins },
  readAuditLog: { routes: ['GET /api/audit-log'], roles: admins },
} as const satisfies Record<string, { routes: readonly string[]; roles: readonly Role[] }>;

export type Permission = keyof typeof permissions;

export function can(role: Role | undefined, permission: Permission): boolean {
  return !!role && (permissions[permission].roles as readonly Role[]).includes(role);
}
