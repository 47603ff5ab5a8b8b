import type { Response } from 'express';
import type { z } from 'zod';

/** The problem+json body (RFC 9457) every error response uses. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: Problem['errors'];
  readonly headers?: Record<string, string>;
  constructor(
    status: number,
    title: string,
    detail?: string,
    extra: { errors?: Problem['errors']; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = extra.errors;
    this.headers = extra.headers;
  }
}

export function sendProblem(res: Response, problem: Omit<Problem, 'type' | 'requestId' | 'instance'>): void {
  const body: Problem = {
    type: 'about:blank',
    ...problem,
    instance: res.req.originalUrl,
    requestId: String(res.locals.requestId),
  };
  res.status(problem.status).type('application/problem+json').json(body);
}

/** Parses with a zod schema or fails with a 400 that names every bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpProblem(400, 'Bad Request', `The request ${where} is invalid.`, {
    errors: result.error.issues.map((i) => ({
      path: [where, ...i.path.map(String)].join('.'),
      message: i.message,
    })),
  });
}
