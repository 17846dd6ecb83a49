# One image for every Herald process: `docker run herald server|worker sms|worker email|all`.
# Pinned to an exact Node release so a rebuild gets the same runtime; runs as the non-root `node` user.

FROM node:20.18.0-bookworm-slim AS base
WORKDIR /app

# better-sqlite3 is native: when no prebuilt binary matches, npm compiles it with these.
FROM base AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# node-gyp then uses the image's own Node headers instead of downloading them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./

FROM toolchain AS deps
RUN npm ci

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM toolchain AS prod-deps
RUN npm ci --omit=dev

FROM base AS runtime
ENV NODE_ENV=production \
    HERALD_DATA_DIR=/data
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY bin ./bin
# A named volume mounted on /data starts with this owner, so the node user can write to it.
RUN mkdir -p /data/outbox && chown -R node:node /data
USER node
EXPOSE 8080
# Ready on the API port (server, all) or on the worker's own port (worker sms|email), whichever this role serves.
HEALTHCHECK --interval=10s --timeout=5s --start-period=40s --retries=6 \
  CMD node -e "Promise.any([8080, 9090].map((p) => fetch('http://127.0.0.1:' + p + '/health/ready').then((r) => r.ok || Promise.reject()))).then(() => process.exit(0), () => process.exit(1))"
ENTRYPOINT ["node", "bin/herald.js"]
CMD ["all"]
