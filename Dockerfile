# syntax=docker/dockerfile:1
# mcp-sidecar in a container. The daemon is the entrypoint; the stdio server's command line is
# the arguments (none: the built-in demo server):
#   docker build -t mcp-sidecar .
#   docker run --rm -p 8808:8808 mcp-sidecar -- npx -y @modelcontextprotocol/server-everything
# More in README.md, "Deployment" / "Docker".

# The current Node.js LTS line (26), on Debian 13 slim.
ARG NODE_IMAGE=node:26-trixie-slim

# Production dependencies only, from the lockfile.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The compiler and its inputs: only src/ is built into the image.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p .

FROM ${NODE_IMAGE}
# tini as PID 1: it forwards SIGTERM/SIGINT to the daemon (which then drains and stops every child
# down its ladder) and reaps any orphaned grandchild. Do not also pass `docker run --init`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json README.md ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The image's unprivileged user (uid 1000); its home holds the npx/npm caches.
USER node
EXPOSE 8808
# No curl in a slim image: the probe is node itself, GET /readyz on MCP_SIDECAR_PORT (default 8808).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/dist/src/cli/healthcheck.js"]
# The daemon drains for up to 10s, then stops children (2s + 2s): stop with `docker stop -t 30`
# (compose: stop_grace_period: 30s), above Docker's default of 10s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/src/cli/main.js", "--host", "0.0.0.0"]
CMD []
