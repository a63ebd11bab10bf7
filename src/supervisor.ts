// Runs the service and restarts it in this process when the admin API asks (settings/apply), so
// settings saved from the web UI take effect without a container restart. The new instance reads
// the settings file again; CLI flags and environment variables still win over it.
import { startService, type Service, type StartOptions } from './app.js';

export interface Supervised {
  /** The instance running now (a new one after each restart). */
  current(): Service;
  /** Called with each new instance after a restart. */
  onRestart(fn: (s: Service) => void): void;
  close(): Promise<void>;
}

/**
 * Start the service. `onFatal` is told when a restart could not start the service again (the
 * caller exits, and the process supervisor, e.g. Docker, starts it afresh).
 */
export async function superviseService(
  opts: Omit<StartOptions, 'requestRestart'>,
  onFatal: (err: Error) => void,
): Promise<Supervised> {
  const listeners: ((s: Service) => void)[] = [];
  let closing = false;
  let restarting: Promise<void> | undefined;
  const start = (): Promise<Service> => startService({ ...opts, requestRestart: () => void restart() });
  let service = await start();

  const restart = (): Promise<void> => {
    if (closing || restarting) return restarting ?? Promise.resolve();
    restarting = (async () => {
      await service.close();
      try {
        service = await start();
      } catch (err) {
        onFatal(err as Error);
        return;
      }
      for (const fn of listeners) fn(service);
    })().finally(() => (restarting = undefined));
    return restarting;
  };

  return {
    current: () => service,
    onRestart: (fn) => void listeners.push(fn),
    async close() {
      closing = true;
      await restarting;
      await service.close();
    },
  };
}
