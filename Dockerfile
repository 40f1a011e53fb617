# syntax=docker/dockerfile:1
# ci-medic: build once, run as a non-root user with the SQLite database on a volume.
#   docker build -t ci-medic .
#   docker run --env-file .env -p 127.0.0.1:3000:3000 -v ci-medic-data:/data ci-medic
# The server validates the environment, applies migrations (`prisma migrate deploy`), then starts Probot.

ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: dev dependencies, native better-sqlite3, TypeScript -------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY prisma ./prisma
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --omit=optional --no-audit --no-fund

# --- runtime: production dependencies only (prisma CLI included: migrations run at start). --omit=optional drops
# typescript, which Prisma declares as an optional peer and does not need to apply migrations. -----------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json \
    DATABASE_URL=file:/data/ci-medic.db \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    CHECKPOINT_DISABLE=1
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/lib ./lib
COPY --chown=root:root package.json package-lock.json app.yml prisma.config.ts ./
COPY --chown=root:root prisma ./prisma
# The code stays root-owned and read-only for the app; only /data is writable.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "lib/server.js"]
