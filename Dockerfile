# The Fargate host of pipeline nodes: the same node code as the node-runner Lambda, with more
# memory and time. CDK stages this directory as the build context at synth and builds the image
# at deploy (linux/amd64: DuckDB 1.5.6 ships no linux-arm64 binding).

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts stay off: nothing the bundle needs compiles at install time (DuckDB ships prebuilt).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY shared ./shared
COPY functions ./functions
# One ESM bundle with the AWS SDK inside (unlike Lambda, the container has no SDK of its own);
# DuckDB and sharp stay external because their native bindings cannot be bundled.
RUN npx esbuild functions/pipeline/fargate-node/handler.ts \
      --bundle --platform=node --target=node22 --format=esm --minify --sourcemap \
      --main-fields=module,main \
      --external:@duckdb/* --external:sharp --external:@img/* \
      --banner:js="import { createRequire as __pwCreateRequire } from 'node:module'; const require = __pwCreateRequire(import.meta.url);" \
      --outfile=dist/fargate-node-entrypoint.mjs

FROM node:22-bookworm-slim
ENV NODE_ENV=production PW_RUNTIME=aws
WORKDIR /app
COPY --from=build /src/node_modules/@duckdb/node-api ./node_modules/@duckdb/node-api
COPY --from=build /src/node_modules/@duckdb/node-bindings ./node_modules/@duckdb/node-bindings
COPY --from=build /src/node_modules/@duckdb/node-bindings-linux-x64 ./node_modules/@duckdb/node-bindings-linux-x64
COPY --from=build /src/node_modules/detect-libc ./node_modules/detect-libc
COPY --from=build /src/node_modules/sharp ./node_modules/sharp
COPY --from=build /src/node_modules/@img ./node_modules/@img
COPY --from=build /src/node_modules/semver ./node_modules/semver
COPY --from=build /src/dist ./dist
USER node
ENTRYPOINT ["node", "--enable-source-maps", "dist/fargate-node-entrypoint.mjs"]
