# tunerbridge on Node 24 LTS. Run with host networking (see docker-compose.yml): HDHomeRun discovery is
# UDP broadcast and SSDP multicast, neither of which crosses Docker's bridge NAT.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY bench bench
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# ffmpeg is optional: only sources that need the normaliser use it; the pass-through path is pure Node.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY assets assets
COPY src/ui/static src/ui/static
ENV NODE_ENV=production \
    TUNERBRIDGE_DATA_DIR=/data \
    TUNERBRIDGE_TUNERS_DIR=/config/tuners \
    TUNERBRIDGE_EPG_DIR=/config/epg
VOLUME ["/data", "/config"]
EXPOSE 5004/tcp 80/tcp 65001/udp 65001/tcp 1900/udp
HEALTHCHECK --interval=30s --timeout=5s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.TUNERBRIDGE_PORT||5004)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/cli.js"]
