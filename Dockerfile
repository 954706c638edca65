# Build: compile TypeScript with the dev dependencies, then keep only what runs.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json app.ts server.ts log-options.ts ./
COPY plugins plugins
COPY routes routes
COPY services services
COPY simulators simulators
COPY scripts scripts
COPY web web
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=17802
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY catalog catalog
# The media clips the ComfyUI simulator serves in demo mode (COMFYUI_URL=simulated).
COPY simulators/media/clip.* simulators/media/
RUN mkdir -p /app/runs && chown node:node /app/runs
USER node
EXPOSE 17802
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||17802)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node as PID 1 receives SIGTERM directly; the server ends open streams and exits 0.
CMD ["node", "dist/server.js"]
