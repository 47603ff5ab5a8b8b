import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import { route } from '../auth/middleware.ts';
import { HttpProblem } from '../problem.ts';
import { defineRoute } from '../route-spec.ts';

/**
 * The OpenAPI document and an interactive reference (Swagger UI) that works offline: its files
 * come from the installed swagger-ui-dist package, never a CDN. The page has its own, narrow
 * Content-Security-Policy; the rest of the API keeps helmet's default.
 */

const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
/** The only swagger-ui-dist files the page loads; nothing else in the package is served. */
const swaggerUiFiles = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);
const INIT_SCRIPT = 'init.js';

export const docsRoutes = {
  document: defineRoute({
    key: 'GET /api/openapi.json',
    tag: 'Reference',
    summary: 'This OpenAPI 3.1 document',
    responses: { 200: { description: 'The document.' } },
  }),
  page: defineRoute({
    key: 'GET /api/docs',
    tag: 'Reference',
    summary: 'The interactive API reference (Swagger UI)',
    responses: { 200: { description: 'The reference page.', mediaType: 'text/html' } },
  }),
  asset: defineRoute({
    key: 'GET /api/docs/:asset',
    tag: 'Reference',
    summary: "The reference page's scripts, styles and icons",
    params: z.strictObject({ asset: z.string().max(100) }),
    responses: { 200: { description: 'The file.', mediaType: 'application/octet-stream' } },
    problems: { 404: 'Not one of the page’s files.' },
  }),
};

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Liquor Marketing Agent — API reference</title>
    <link rel="stylesheet" href="/api/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png" sizes="32x32" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/api/docs/swagger-ui-bundle.js"></script>
    <script src="/api/docs/${INIT_SCRIPT}"></script>
  </body>
</html>
`;

// A file, not an inline script, so that the page's policy can forbid inline scripts. "Try it
// out" with the web app's session cookie needs the CSRF header on changes: it is echoed here.
const initScript = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: 'none',
  requestInterceptor: function (request) {
    var match = document.cookie.match(/(?:^|; )lma_csrf=([^;]*)/);
    if (match) request.headers['x-csrf-token'] = decodeURIComponent(match[1]);
    return request;
  },
});
`;

/**
 * Exactly what Swagger UI needs: its own script and style files, the document from the same
 * origin, data: images (the icons inlined in its CSS) and inline style attributes (it positions
 * elements with them). No inline scripts, no eval, no other origin, no framing.
 */
const docsPolicy = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
});

export function docsRouter(deps: { document: () => object }): Router {
  const router = Router();
  const files = express.static(swaggerUiDir, { index: false, maxAge: '1d', fallthrough: false });

  route(router, docsRoutes.document, (_req, res) => {
    res.json(deps.document());
  });

  route(router, docsRoutes.page, docsPolicy, (_req, res) => {
    res.type('html').send(page);
  });

  // Files are served before the spec's check: only the listed names are ever read.
  const asset: RequestHandler = (req, res, next) => {
    const name = String(req.params.asset);
    if (name === INIT_SCRIPT) return void res.type('js').send(initScript);
    if (!swaggerUiFiles.has(name)) return next();
    // serve-static resolves req.url against its root; the route's path is not part of it.
    const url = req.url;
    req.url = `/${name}`;
    files(req, res, (err?: unknown) => {
      req.url = url;
      next(err);
    });
  };
  route(router, docsRoutes.asset, docsPolicy, asset, () => {
    throw new HttpProblem(404, 'Not Found', 'Not one of the reference page’s files.');
  });

  return router;
}
