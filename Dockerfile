# syntax=docker/dockerfile:1
# Build stage: full dependencies, compile TypeScript, copy the Lua scripts and make the PGlite
# template (npm ci runs the `prepare` build).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY plugins ./plugins
COPY migrations ./migrations
COPY bin ./bin
RUN npm ci && npm prune --omit=dev

# Runtime stage: production dependencies, compiled output, migrations; runs as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production LESSOR_LISTEN=0.0.0.0:8200 LESSOR_DATA_DIR=/var/lib/lessor
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/scripts/lessor-fetch.sh ./scripts/lessor-fetch.sh
RUN useradd --system --uid 10001 --home /var/lib/lessor --create-home lessor
USER lessor
EXPOSE 8200
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8200/v1/sys/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/lessor.js"]
CMD ["server"]
