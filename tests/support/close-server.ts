import type { Server } from 'node:http';

/** Closes a test's HTTP server now: its keep-alive connections first, which `close()` alone would wait for. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => {
      resolve();
    });
  });
}
