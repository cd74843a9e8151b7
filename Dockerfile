# The wasmxen image for campaigns on a cluster (deploy/k8s/stress-campaign.yaml):
# the official Node image, the package built from this checkout. Every shard
# of a campaign must run this one image (`wasmxen merge` refuses shards of
# different builds). Build and push:
#   docker build -t REGISTRY/wasmxen:0.1.0 . && docker push REGISTRY/wasmxen:0.1.0
FROM node:20-bookworm-slim
WORKDIR /opt/wasmxen
COPY package.json package-lock.json ./
# dependencies first (cached across source changes); the build runs below
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts
ENV PATH=/opt/wasmxen/node_modules/.bin:/opt/wasmxen/bin:$PATH
USER node
ENTRYPOINT ["node", "/opt/wasmxen/bin/wasmxen.mjs"]
CMD ["stress", "--list"]
