import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { RouteKey } from './access.ts';
import { storableText } from '../platform/db.ts';
import { HttpProblem, parseOr400 } from './problem.ts';

/**
 * What a route takes and gives, declared once beside its handler: `route()` validates requests
 * with these schemas and the OpenAPI document (api/openapi.ts) is generated from the same specs,
 * so the reference can never drift from what the API accepts.
 */

export type BodyMediaType = 'application/json' | 'application/x-www-form-urlencoded';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** application/json unless said otherwise (pages are text/html, TwiML text/xml). */
  mediaType?: string;
  headers?: Record<string, string>;
}

export interface RouteSpec {
  key: RouteKey;
  /** Derived from the key when not given: `GET /api/campaigns/:id/copy` → `getCampaignsByIdCopy`. */
  operationId?: string;
  summary: string;
  description?: string;
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Only the headers the route reads; others pass. */
  headers?: z.ZodObject;
  body?: z.ZodType;
  bodyMediaType?: BodyMediaType;
  /**
   * Bodies in other media types that the handler reads itself (an import's CSV stream). The
   * `body` schema then validates only bodies of `bodyMediaType`.
   */
  otherBodies?: Record<string, z.ZodType>;
  /**
   * Provider payloads: text PostgreSQL cannot store (NULs, unpaired surrogates) in the body becomes
   * U+FFFD instead of a 400. A provider cannot correct an event it reports, and refusing it loses it.
   */
  repairsText?: boolean;
  responses: Record<number, ResponseSpec>;
  /** Error statuses beyond those every route of its kind can answer (400, 401, 403). */
  problems?: Partial<Record<number, string>>;
}

type Out<S, Fallback> = S extends z.ZodType ? z.output<S> : Fallback;

/** A route's validated input, typed from its spec. */
export interface RouteInput<S extends RouteSpec> {
  params: Out<S['params'], Record<string, string>>;
  query: Out<S['query'], Record<string, never>>;
  headers: Out<S['headers'], Record<string, never>>;
  body: Out<S['body'], undefined>;
}

export type RouteHandler<S extends RouteSpec> = (req: Request, res: Response, input: RouteInput<S>) => unknown;

export function defineRoute<const S extends RouteSpec>(spec: S): S {
  return spec;
}

const served = new Map<RouteKey, RouteSpec>();

/** Every route this process registered with a spec: what the OpenAPI document lists. */
export function servedRoutes(): RouteSpec[] {
  return [...served.values()];
}

/** Called by `route()`: a route is documented because it is served, not because someone listed it. */
export function recordServedRoute(spec: RouteSpec): void {
  served.set(spec.key, spec);
}

/** Why PostgreSQL cannot store this text: a NUL character, or half of a surrogate pair (not Unicode). */
function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (!text.isWellFormed()) return 'is not valid Unicode (an unpaired surrogate)';
  return undefined;
}

/**
 * Where a request part holds text PostgreSQL cannot store, and why. The path is only spelt out
 * for the part that has some; every request is walked.
 */
function unstorableAt(value: unknown, path: string): { path: string; message: string } | undefined {
  const trail: string[] = [];
  let message: string | undefined;
  const hides = (v: unknown): boolean => {
    if (typeof v === 'string') return (message = unstorable(v)) !== undefined;
    if (v === null || typeof v !== 'object') return false;
    for (const key of Object.keys(v)) {
      if ((message = unstorable(key)) !== undefined) return true;
      trail.push(key);
      if (hides((v as Record<string, unknown>)[key])) return true;
      trail.pop();
    }
    return false;
  };
  return hides(value) ? { path: [path, ...trail].join('.'), message: message! } : undefined;
}

/** Replaces unstorable text in a parsed body, in place, keys included. */
function repairText(value: unknown): unknown {
  if (typeof value === 'string') return unstorable(value) ? storableText(value) : value;
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const repaired = repairText(o[key]);
    if (unstorable(key)) {
      delete o[key];
      o[storableText(key)] = repaired;
    } else if (repaired !== o[key]) o[key] = repaired;
  }
  return value;
}

/**
 * Validates path, query, headers and body in that order; the first bad part answers 400 naming its
 * fields. No body is an empty one: `{}`.
 */
export function validateInput(spec: RouteSpec): RequestHandler {
  return (req, res, next) => {
    const bodyIsOurs = !spec.otherBodies || !!req.is(spec.bodyMediaType ?? 'application/json');
    if (bodyIsOurs && spec.repairsText) req.body = repairText(req.body);
    const bad =
      unstorableAt(req.params, 'path') ??
      unstorableAt(req.query, 'query') ??
      (bodyIsOurs && !spec.repairsText ? unstorableAt(req.body, 'body') : undefined);
    if (bad) {
      throw new HttpProblem(400, 'Bad Request', 'Text may not contain NUL characters or unpaired surrogates.', {
        errors: [bad],
      });
    }
    res.locals.input = {
      params: spec.params ? parseOr400(spec.params, req.params, 'path') : req.params,
      query: spec.query ? parseOr400(spec.query, req.query, 'query') : {},
      headers: spec.headers ? parseOr400(spec.headers, req.headers, 'header') : {},
      body: spec.body && bodyIsOurs ? parseOr400(spec.body, req.body ?? {}, 'body') : undefined,
    };
    next();
  };
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** The request's parts as its route spec parsed them. */
    input?: unknown;
  }
}
