# syntax=docker/dockerfile:1
# Jobline's production image: the HTTP API by default, the worker with `npm run worker`
# (docker-compose.yml runs both from this one image). The TypeScript runs directly
# through tsx, a runtime dependency, so there is no build step.
#
# It talks to a real Temporal server (TEMPORAL_ADDRESS): the embedded dev server of
# `npm start` is not in the image, which is why the postinstall download of the
# Temporal CLI is skipped.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, so that a source change reuses this layer. The postinstall
# script must be present for `npm ci` to run it; JOBLINE_SKIP_TEMPORAL_INSTALL=1
# makes it a no-op. Everything here stays owned by root: the app cannot rewrite itself.
COPY package.json package-lock.json ./
COPY scripts/install-temporal.cjs ./scripts/
RUN JOBLINE_SKIP_TEMPORAL_INSTALL=1 npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src

# The one place the app may write (JOBLINE_DATA_DIR and the paths under data/ resolve
# here); mount a volume on it to keep what is written there. artifacts/ exists in the image
# so that a named volume mounted there starts out owned by `node`, not root.
RUN mkdir -p data/artifacts data/demo && chown -R node:node data

# NPM_CONFIG_SCRIPT_SHELL: npm runs a script through `<shell> -c`. Debian's /bin/sh (dash)
# stays in between and dies on SIGTERM without passing it on, so `docker stop` would
# orphan the worker before it drains (and the container's end then kills it). bash
# execs the script's single command instead: npm -> tsx -> node, and npm and tsx both
# forward SIGTERM, so the worker finishes its in-flight attempts first.
ENV NODE_ENV=production \
    JOBLINE_API_HOST=0.0.0.0 \
    NPM_CONFIG_SCRIPT_SHELL=/bin/bash \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# The unprivileged user of the official Node image (uid 1000, home /home/node, where
# npm keeps its logs); tsx caches compiled files under /tmp.
USER node

EXPOSE 3000
CMD ["npm", "run", "api"]
