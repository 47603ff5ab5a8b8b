import type { ApiKeyScope } from './auth/api-keys.ts';
import type { Role } from './auth/roles.ts';

/**
 * The one route × role table. Every API route is registered through `route()` with a key from
 * here, so a route cannot exist without a rule, and one test walks the whole table with every
 * role, no token, an expired token and a tampered token.
 *
 * `public` routes authenticate by other means (a password, a refresh token, a provider signature,
 * a signed link) or reveal nothing. `apiKey` names the scope an API key needs; without it, API
 * keys are refused.
 */
export type AccessRule = { public: true } | { roles: readonly Role[]; apiKey?: ApiKeyScope };

const everyone = ['user', 'manager', 'admin'] as const;
const managers = ['manager', 'admin'] as const;
const admins = ['admin'] as const;

export const accessTable = {
  'GET /healthz': { public: true },
  'GET /readyz': { public: true },
  // Prometheus scrapes with an API key scoped to `metrics` (role admin); admins may look too.
  'GET /metrics': { roles: admins, apiKey: 'metrics' },

  'POST /api/auth/login': { public: true },
  'POST /api/auth/refresh': { public: true },
  'POST /api/auth/logout': { public: true },
  'GET /api/auth/me': { roles: everyone },
  // Which planner and messaging providers this installation uses.
  'GET /api/system': { roles: everyone, apiKey: 'read' },
  // The API reference is public: it describes the product's API, the same for every installation
  // (the source is open), and holds no data, settings or secrets; integrators read it before they
  // have a key, and the hostile-input suite fuzzes from it. Every route it lists is still authorised.
  'GET /api/openapi.json': { public: true },
  'GET /api/docs': { public: true },
  'GET /api/docs/:asset': { public: true },
  // The real-time WebSocket (api/realtime/): campaign progress and engagement events, read-only.
  'GET /ws': { roles: everyone, apiKey: 'read' },

  'GET /api/api-keys': { roles: admins },
  'POST /api/api-keys': { roles: admins },
  'DELETE /api/api-keys/:id': { roles: admins },

  'GET /api/audit-log': { roles: admins },

  // People who sign in: only admins see or change them.
  'GET /api/users': { roles: admins },
  'POST /api/users': { roles: admins },
  'PATCH /api/users/:id': { roles: admins },
  // The compliance rules in force (read-only: they come from the environment).
  'GET /api/settings/compliance': { roles: everyone },
  'GET /api/dashboard': { roles: everyone, apiKey: 'read' },

  'GET /api/customers': { roles: everyone, apiKey: 'read' },
  'GET /api/customers/:id': { roles: everyone, apiKey: 'read' },
  'GET /api/segments': { roles: everyone, apiKey: 'read' },
  'PUT /api/segments/:id': { roles: managers },

  'GET /api/scoring/runs': { roles: everyone, apiKey: 'read' },
  'POST /api/scoring/runs': { roles: managers, apiKey: 'import' },

  'POST /api/imports/customers': { roles: managers, apiKey: 'import' },
  'POST /api/imports/orders': { roles: managers, apiKey: 'import' },
  'GET /api/imports': { roles: everyone, apiKey: 'read' },
  'GET /api/imports/:id': { roles: everyone, apiKey: 'read' },

  // Users draft and plan; managers approve, start, pause, resume and cancel.
  'POST /api/campaigns': { roles: everyone, apiKey: 'campaigns' },
  'GET /api/campaigns': { roles: everyone, apiKey: 'read' },
  'GET /api/campaigns/:id': { roles: everyone, apiKey: 'read' },
  'GET /api/campaigns/:id/actions': { roles: everyone, apiKey: 'read' },
  'GET /api/campaigns/:id/progress': { roles: everyone, apiKey: 'read' },
  // The campaign page's ledger: its sends and per-day timeline.
  'GET /api/campaigns/:id/sends': { roles: everyone, apiKey: 'read' },
  'GET /api/campaigns/:id/timeline': { roles: everyone, apiKey: 'read' },
  'PATCH /api/campaigns/:id/actions': { roles: everyone },
  'POST /api/campaigns/:id/generate': { roles: everyone, apiKey: 'campaigns' },
  'POST /api/campaigns/:id/approve': { roles: managers },
  'POST /api/campaigns/:id/start': { roles: managers, apiKey: 'campaigns' },
  'POST /api/campaigns/:id/pause': { roles: managers },
  'POST /api/campaigns/:id/resume': { roles: managers },
  'POST /api/campaigns/:id/cancel': { roles: managers },
  // Anyone who may plan may write the copy, until the plan is approved.
  'GET /api/campaigns/:id/copy': { roles: everyone, apiKey: 'read' },
  'PUT /api/campaigns/:id/copy/:segment': { roles: everyone },

  // The signed token in a message's link is the recipient's authentication.
  'GET /api/unsubscribe/:token': { public: true },
  'POST /api/unsubscribe/:token': { public: true },
  'GET /preferences/:token': { public: true },
  'POST /preferences/:token': { public: true },
  'GET /r/:token': { public: true },

  // The provider's signature is the authentication.
  'POST /api/webhooks/mailgun': { public: true },
  'POST /api/webhooks/twilio/status': { public: true },
  'POST /api/webhooks/twilio/inbound': { public: true },

  'POST /api/messages/preview': { roles: everyone },
  'GET /api/outbox': { roles: everyone },
  'GET /api/outbox/:id': { roles: everyone },

  // The store's systems report orders as they happen; imports remain for files.
  'POST /api/orders': { roles: managers, apiKey: 'orders' },
  // The store's systems report customers' events (signup, purchase, cart_abandoned): journeys start.
  'POST /api/events': { roles: managers, apiKey: 'events' },
  'POST /api/events/batch': { roles: managers, apiKey: 'events' },
  'GET /api/events/:id': { roles: managers, apiKey: 'events' },
  // Journeys send on their own: switching them and their messages is for managers and admins.
  'GET /api/journeys/settings': { roles: managers },
  'PUT /api/journeys/settings': { roles: managers },
  'GET /api/customers/:id/journeys': { roles: everyone, apiKey: 'read' },
  'GET /api/analytics/timeseries': { roles: everyone, apiKey: 'read' },
  'GET /api/analytics/funnel': { roles: everyone, apiKey: 'read' },
  'GET /api/analytics/campaigns': { roles: everyone, apiKey: 'read' },
  'GET /api/analytics/campaigns/:id/holdout': { roles: everyone, apiKey: 'read' },
  // Exports carry customer ids and order revenue: managers only.
  'GET /api/analytics/exports/:kind': { roles: managers, apiKey: 'read' },
  'POST /api/analytics/exports': { roles: managers },
} as const satisfies Record<string, AccessRule>;

export type RouteKey = keyof typeof accessTable;

export function ruleFor(key: string): AccessRule | undefined {
  return (accessTable as Record<string, AccessRule>)[key];
}
