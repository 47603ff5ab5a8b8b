import { trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import type { Logger } from '../platform/logger.ts';

/**
 * One JSON log line per answered request, carrying its request id (and trace id when tracing is
 * on) so that a line can be matched with the response's `x-request-id`, the audit log and the
 * trace. The route template stands for the path: a raw URL can hold signed tokens.
 */
export function requestLog(log: Logger): RequestHandler {
  // The line holds only the request id, trace id, method, route template, status and duration:
  // nothing the logger's redaction paths could match, and walking them for every request cost
  // more than writing the line. Contact masking (the logger's formatter) still applies.
  const lines = log.child({}, { redact: [] });
  return (req, res, next) => {
    const started = performance.now();
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    res.on('finish', () => {
      const line = {
        requestId: res.locals.requestId,
        ...(traceId && traceId !== '00000000000000000000000000000000' ? { traceId } : {}),
        method: req.method,
        route: res.locals.routeKey?.slice(res.locals.routeKey.indexOf(' ') + 1) ?? 'other',
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
      };
      // The error itself is logged where it is handled; this line only says which request it was.
      if (res.statusCode >= 500) lines.warn(line, 'request failed');
      else lines.info(line, 'request');
    });
    next();
  };
}
