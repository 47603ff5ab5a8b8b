import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for OpenAI's Chat Completions endpoint, for tests and fault drills that drive
 * the real `openai` SDK over HTTP. It speaks the API's shapes — `POST /v1/chat/completions`
 * answering a `chat.completion` object, errors as `{ error: { message, type, param, code } }`
 * with OpenAI's status codes, Bearer authentication — and does, request by request, what the
 * test scripted: a plan, malformed content, a refusal, an error status, or a delay. Every request
 * it receives is recorded, so a test can inspect what the client sent.
 */

export interface StubUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type StubReply =
  /** A successful completion whose content is this value as JSON. */
  | { kind: 'plan'; plan: unknown; usage?: StubUsage }
  /** A successful completion with exactly this content (e.g. broken JSON). */
  | { kind: 'content'; content: string; usage?: StubUsage; finishReason?: 'stop' | 'length' | 'content_filter' }
  /** The model declines: `content` null, `refusal` set, as structured outputs do. */
  | { kind: 'refusal'; refusal: string; usage?: StubUsage }
  | {
      kind: 'error';
      status: number;
      message?: string;
      type?: string;
      code?: string | null;
      headers?: Record<string, string>;
    }
  /** Waits before replying; a client that gives up first just sees its own timeout. */
  | { kind: 'delay'; ms: number; then: StubReply }
  /** Decides from the request, e.g. a plan built from the prompt it was sent. */
  | { kind: 'respond'; respond: (request: RecordedRequest) => StubReply };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body, as sent. */
  raw: string;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
}

export interface OpenAiStub {
  /** http://127.0.0.1:<port> */
  url: string;
  /** What the SDK takes as `baseURL`: the url plus /v1. */
  baseURL: string;
  requests: RecordedRequest[];
  /** Adds replies for the next requests, in order. */
  enqueue(...replies: StubReply[]): void;
  /** Scripted replies not yet used. */
  pending(): number;
  close(): Promise<void>;
}

/** OpenAI's own error for a 429 from too many requests per minute. */
export function rateLimited(retryAfterSeconds = 0): StubReply {
  return {
    kind: 'error',
    status: 429,
    message: 'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1.',
    type: 'requests',
    code: 'rate_limit_exceeded',
    headers: { 'retry-after': String(retryAfterSeconds), 'x-ratelimit-remaining-requests': '0' },
  };
}

export function serverError(status = 500): StubReply {
  return {
    kind: 'error',
    status,
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  };
}

export async function startOpenAiStub(): Promise<OpenAiStub> {
  const queue: StubReply[] = [];
  const requests: RecordedRequest[] = [];
  let sequence = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const path = (req.url ?? '/').split('?')[0]!;
      const request: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, raw, body };
      requests.push(request);
      res.setHeader('x-request-id', `req_stub_${++sequence}`);

      if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) {
        send(res, 401, errorBody("You didn't provide an API key.", 'invalid_request_error', null));
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        send(res, 404, errorBody(`Invalid URL (${req.method} ${path})`, 'invalid_request_error', null));
        return;
      }
      if (body === undefined) {
        send(res, 400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null));
        return;
      }
      const reply = queue.shift() ?? {
        kind: 'error',
        status: 500,
        message: 'openai-stub: no scripted reply left',
        type: 'server_error',
        code: null,
      };
      play(reply, request, res, sequence);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseURL: `${url}/v1`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    pending: () => queue.length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function play(reply: StubReply, request: RecordedRequest, res: http.ServerResponse, id: number): void {
  switch (reply.kind) {
    case 'delay': {
      const timer = setTimeout(() => play(reply.then, request, res, id), reply.ms);
      // The client gave up (its timeout): nothing left to answer.
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case 'respond':
      play(reply.respond(request), request, res, id);
      return;
    case 'error':
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      send(
        res,
        reply.status,
        errorBody(reply.message ?? 'error', reply.type ?? 'invalid_request_error', reply.code ?? null),
      );
      return;
    case 'plan':
      send(res, 200, completion(request, JSON.stringify(reply.plan), null, 'stop', reply.usage, id));
      return;
    case 'content':
      send(res, 200, completion(request, reply.content, null, reply.finishReason ?? 'stop', reply.usage, id));
      return;
    case 'refusal':
      send(res, 200, completion(request, null, reply.refusal, 'stop', reply.usage, id));
      return;
  }
}

function completion(
  request: RecordedRequest,
  content: string | null,
  refusal: string | null,
  finishReason: string,
  usage: StubUsage | undefined,
  id: number,
) {
  // Without scripted usage, about four characters a token, as OpenAI's rule of thumb has it.
  const prompt = usage?.prompt_tokens ?? Math.ceil(request.raw.length / 4);
  const completionTokens = usage?.completion_tokens ?? Math.ceil((content ?? refusal ?? '').length / 4);
  return {
    id: `chatcmpl-stub${id}`,
    object: 'chat.completion',
    created: 1_764_000_000 + id,
    model: requestedModel(request.body),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal, annotations: [] },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completionTokens,
      total_tokens: prompt + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_stub',
  };
}

function requestedModel(body: unknown): string {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' ? model : 'gpt-4o-mini';
}

function errorBody(message: string, type: string, code: string | null) {
  return { error: { message, type, param: null, code } };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
