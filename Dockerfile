# The inference service image: code and production dependencies only. Models are not in the image:
# the service clones this repository (MODEL_REPO_URL) and follows manifests/production.json.
# Not built in this repository's CI (no container engine there); deploy/deploy.test.ts lints it.
# Debian, not Alpine: onnxruntime-node ships glibc binaries. Pin the digest when you build:
#   docker buildx imagetools inspect node:24.21.0-bookworm-slim
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# allowScripts in package.json skips onnxruntime-node's CUDA download; the CPU runtime is in the package.
RUN npm ci --omit=dev && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# git (and ssh for a deploy key) to follow the model repository; nothing else.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates git openssh-client \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 MODEL_CACHE_DIR=/var/cache/taxiway/model-repo \
    PREDICTION_STORE_PATH=/var/cache/taxiway/predictions.sqlite
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY lib ./lib
COPY service ./service
# Owned by root and read-only for the service; it writes only to /var/cache/taxiway (the model cache and
# the prediction log; an emptyDir on Kubernetes).
RUN mkdir -p /var/cache/taxiway && chown 1000:1000 /var/cache/taxiway
# uid 1000 is the image's `node` user; numeric, so Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "service/server.ts"]
