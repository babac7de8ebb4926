# syntax=docker/dockerfile:1
# The PIM Alerts for Teams bot as a container image, on Node.js 24 (the runtime the Azure template
# uses too).
#
# No Docker engine runs where this project is built and tested, so these steps are the same
# commands that test/production/start.test.ts runs on every `npm test`: `npm ci` and
# `npm run build`; then a folder holding only package.json, package-lock.json,
# .prebuild-installrc and dist/, with `npm ci --omit=dev` and `node dist/bot/main.js`. Change them
# together.
#
# No secret is passed to the build or kept in a layer: configuration (PIM_SCOPES, the Bot
# Framework settings, PIM_ACTION_SECRET, APPLICATIONINSIGHTS_CONNECTION_STRING …) comes from the
# environment at run time. .dockerignore keeps .env, data/ and everything else out of the context.

# ---- build: compile TypeScript to dist/ (development dependencies needed) ----
FROM node:24-slim AS build
# better-sqlite3 is compiled from source (.prebuild-installrc): nothing is downloaded but npm packages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .prebuild-installrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bot ./bot
COPY cards ./cards
RUN npm run build

# ---- production dependencies only, compiled for this Node.js ----
FROM node:24-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .prebuild-installrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- the image: Node.js, production dependencies, the compiled bot; no compiler, no sources ----
FROM node:24-slim
ENV NODE_ENV=production \
    PORT=3978 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/package.json /app/package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The SQLite store (PIM_STORE unset) lives in DATA_DIR: the only folder the bot writes to.
RUN mkdir -p /app/data && chown node:node /app/data
# The node image's unprivileged user.
USER node
EXPOSE 3978
# /healthz answers while the process runs; the slim image has no curl, so Node asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3978) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop, App Service) lets turns in flight answer and hands refresh leases back.
STOPSIGNAL SIGTERM
CMD ["node", "dist/bot/main.js"]
