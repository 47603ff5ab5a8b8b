import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';

/**
 * One server span per request, continuing the caller's trace when it sends a W3C `traceparent`.
 * Handlers run inside the span's context, so a workflow started from one (through the Temporal
 * client's OpenTelemetry interceptor) joins the same trace. The span is named after the route
 * template, never the raw URL, which can hold ids and signed tokens.
 */
export function httpTracing(): RequestHandler {
  const tracer = trace.getTracer('lma-api');
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
      parent,
    );
    res.on('finish', () => {
      const key = res.locals.routeKey;
      if (key) {
        span.updateName(key);
        span.setAttribute('http.route', key.slice(key.indexOf(' ') + 1));
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.locals.requestId) span.setAttribute('lma.request_id', res.locals.requestId);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
