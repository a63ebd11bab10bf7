// HTTP listeners. The main port (default 5004) serves everything; an optional second listener on port 80
// serves the same app because Jellyfin/Emby auto-detect fetch http://<ip>/discover.json and ignore our port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from '../log.js';

export async function listen(app: Express, port: number, host: string): Promise<http.Server> {
  const server = http.createServer(app);
  // Streams are long-lived: no request timeout, but keep header parsing bounded.
  server.requestTimeout = 0;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

export function boundPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

/** Try the port-80 listener; when it cannot bind (no privilege, port taken) log why and carry on. */
export async function listenPort80(
  app: Express,
  host: string,
  logger: Logger,
): Promise<http.Server | undefined> {
  try {
    const s = await listen(app, 80, host);
    logger.info({ port: 80 }, 'port-80 listener up (Jellyfin/Emby auto-detect)');
    return s;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EACCES'
        ? 'no permission to bind port 80 (run with CAP_NET_BIND_SERVICE, as root, or disable with --no-port80)'
        : e.code === 'EADDRINUSE'
          ? 'port 80 is already in use by another program'
          : e.message;
    logger.warn(
      { port: 80, code: e.code },
      `port-80 listener not started: ${why}; the main port still works`,
    );
    return undefined;
  }
}

export async function closeServer(server: http.Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
