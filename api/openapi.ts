import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  createDocument,
  type oas31,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import { ruleFor } from './access.ts';
import { ACCESS_COOKIE, CSRF_COOKIE, CSRF_HEADER } from './auth/middleware.ts';
import { servedRoutes, type RouteSpec } from './route-spec.ts';
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string(),
    errors: z
      .array(
        z.object({
          path: z.string().meta({ description: 'Where: `body.…`, `query.…`, `path.…` or `header.…`.' }),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem', description: 'An RFC 9457 problem; `errors` names every bad field of a 400.' });

const standardProblems: Record<number, string> = {
  400: 'The request is malformed or a field is invalid; `errors` names each bad field.',
  401: 'No valid session, access token or API key (or a missing CSRF token with the session cookie).',
  403: "The caller's role or API key scope may not do this.",
  500: 'An unexpected server error; the request id finds it in the logs.',
};

const unsafeMethods = new Set(['post', 'put', 'patch', 'delete']);

const securitySchemes: Record<string, oas31.SecuritySchemeObject> = {
  bearerToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The short-lived access token from `POST /api/auth/login` or `/api/auth/refresh`.',
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'lma_<prefix>_<secret>',
    description:
      'An API key for an external system, sent as a Bearer token. A key may do what its role AND its scopes allow.',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: ACCESS_COOKIE,
    description: 'The web app session: the httpOnly access-token cookie set at login.',
  },
  csrf: {
    type: 'apiKey',
    in: 'header',
    name: CSRF_HEADER,
    description: `With the session cookie, state-changing requests echo the \`${CSRF_COOKIE}\` cookie here (double submit).`,
  },
};

/** `/api/campaigns/:id/copy/:segment` → `/api/campaigns/{id}/copy/{segment}`; `*file` → `{file}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/[:*](\w+)/g, '{$1}');
}

const capitalised = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** `GET /api/campaigns/:id/copy` → `getCampaignsByIdCopy`, unless the spec names it. */
export function operationId(spec: RouteSpec): string {
  if (spec.operationId) return spec.operationId;
  const [method, path] = spec.key.split(' ') as [string, string];
  const words = path
    .replace(/^\/api\//, '/')
    .split('/')
    .filter(Boolean)
    .map((part) => (/^[:*]/.test(part) ? `By${capitalised(part.slice(1))}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/).filter(Boolean));
  return method.toLowerCase() + words.map(capitalised).join('');
}

function access(
  spec: RouteSpec,
  method: string,
): Pick<ZodOpenApiOperationObject, 'security' | 'description'> & {
  'x-roles'?: readonly string[];
  'x-api-key-scope'?: string;
} {
  const rule = ruleFor(spec.key);
  if (!rule) throw new Error(`No access rule for ${spec.key}`);
  const about = spec.description ? `${spec.description}\n\n` : '';
  if ('public' in rule) return { security: [], description: `${about}**Public.**` };
  const roles = [...rule.roles];
  const session: oas31.SecurityRequirementObject = unsafeMethods.has(method)
    ? { session: roles, csrf: [] }
    : { session: roles };
  return {
    security: [{ bearerToken: roles }, session, ...(rule.apiKey ? [{ apiKey: [rule.apiKey] }] : [])],
    description:
      `${about}**Roles:** ${roles.join(', ')}. ` +
      (rule.apiKey ? `**API keys** need the \`${rule.apiKey}\` scope.` : 'Not open to API keys.'),
    'x-roles': roles,
    ...(rule.apiKey ? { 'x-api-key-scope': rule.apiKey } : {}),
  };
}

function responses(spec: RouteSpec, isPublic: boolean): ZodOpenApiResponsesObject {
  const out: ZodOpenApiResponsesObject = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    const mediaType = r.mediaType ?? 'application/json';
    out[status as `2${string}`] = {
      description: r.description,
      ...(status === '204' ? {} : { content: { [mediaType]: r.schema ? { schema: r.schema } : {} } }),
      ...(r.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(r.headers).map(([name, description]) => [
                name,
                { description, schema: { type: 'string' } },
              ]),
            ),
          }
        : {}),
    };
  }
  const hasInput = !!(spec.params || spec.query || spec.headers || spec.body);
  const problems: Partial<Record<number, string>> = {
    ...(hasInput ? { 400: standardProblems[400] } : {}),
    ...(isPublic ? {} : { 401: standardProblems[401], 403: standardProblems[403] }),
    ...spec.problems,
    500: standardProblems[500],
  };
  for (const [status, description] of Object.entries(problems)) {
    out[status as `4${string}`] = {
      description: description ?? '',
      content: { 'application/problem+json': { schema: problemSchema } },
    };
  }
  return out;
}

function operation(spec: RouteSpec, method: string): ZodOpenApiOperationObject {
  const rule = access(spec, method);
  const requestBody = spec.body && {
    // A missing body is validated as `{}`.
    required: !spec.body.safeParse({}).success,
    content: {
      [spec.bodyMediaType ?? 'application/json']: { schema: spec.body },
      ...Object.fromEntries(Object.entries(spec.otherBodies ?? {}).map(([type, schema]) => [type, { schema }])),
    },
  };
  return {
    operationId: operationId(spec),
    tags: [spec.tag],
    summary: spec.summary,
    ...rule,
    requestParams: {
      ...(spec.params ? { path: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.headers ? { header: spec.headers } : {}),
    },
    ...(requestBody ? { requestBody } : {}),
    responses: responses(spec, rule.security?.length === 0),
  };
}

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

let built: { routes: number; document: oas31.OpenAPIObject } | undefined;

/**
 * The document of every route this process serves, built once: the routes and their schemas do
 * not change while it runs (several apps in one process, as in tests, serve the same routes).
 */
export function openApiDocument(): oas31.OpenAPIObject {
  const routes = servedRoutes().sort((a, b) => a.tag.localeCompare(b.tag));
  if (built?.routes === routes.length) return built.document;
  const paths: ZodOpenApiPathsObject = {};
  for (const spec of routes) {
    const [method, path] = spec.key.split(' ') as [string, string];
    const lower = method.toLowerCase() as 'get';
    (paths[openApiPath(path)] ??= {})[lower] = operation(spec, lower);
  }
  const document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Liquor Marketing Agent API',
      version,
      description:
        'Scored customers, segments, imports and LLM-planned campaigns. Errors are RFC 9457 ' +
        '`application/problem+json`. Sign in with `POST /api/auth/login`, then send the access token ' +
        'as a Bearer token (or use the session cookies the web app gets, with the CSRF header on changes).',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: { securitySchemes },
  });
  built = { routes: routes.length, document };
  return document;
}
