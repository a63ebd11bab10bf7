// Composition root: reads settings, builds each module and wires them in the one direction data flows:
// sources → lineup → guide / HTTP lineup → tuner sessions → clients. Nothing else constructs services.
import { mkdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type http from 'node:http';
import express from 'express';
import { loadSettings } from './config/settings.js';
import { durationMs, type Settings } from './config/schema.js';
import { createLogger, type Logger } from './log.js';
import type { Channel, DeviceInfo } from './model.js';
import { loadOrCreateIdentity } from './identity/identity.js';
import { LineupService } from './lineup/service.js';
import { SessionManager } from './stream/session-manager.js';
import { createHdhrRouter } from './http/hdhr-routes.js';
import { baseUrlFor } from './http/base-url.js';
import { boundPort, closeServer, listen, listenPort80 } from './http/server.js';
import { sessionStreamer } from './http/session-streamer.js';
import { renderDeviceXml } from './ssdp/device-xml.js';
import { SsdpAdvertiser } from './ssdp/ssdp.js';
import { DiscoveryServer } from './hdhr/discovery-server.js';
import { ControlServer } from './hdhr/control-server.js';
import { chainProviders, systemVariables } from './hdhr/control.js';
import { CHANNEL_MAP_PATH, createNativeTuning } from './native/index.js';
import { GuideService } from './guide/service.js';
import { createGuideRouter } from './http/guide-routes.js';
import { EventBus } from './events/bus.js';
import { bridgeServices } from './events/bridge.js';
import { WebhookDispatcher } from './events/webhooks.js';
import { createMetrics } from './metrics/metrics.js';
import { createHealthHandler } from './metrics/health.js';
import { adminAuth, allowNetworks } from './api/auth.js';
import { createAdminApi } from './api/router.js';
import type { AdminPorts } from './api/ports.js';
import { createFileSourceStore } from './api/source-store.js';
import { definitionValidator } from './api/source-validator.js';
import { createSettingsPort } from './api/settings-port.js';
import { createUi } from './ui/router.js';
import { startPollers } from './integrations/pollers.js';
import { logRing } from './log.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './media/assets.js';

const VERSION = (
  JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
).version;

export interface StartOptions {
  /** CLI flags (without the command). */
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Log destination; default stdout, `null` keeps logs in memory only (tests). */
  readonly logDestination?: NodeJS.WritableStream | null;
  /** Asks for an in-process restart, to apply saved settings (the admin API's settings/apply). */
  readonly requestRestart?: () => void;
}

export interface Service {
  /** BaseURL on loopback, e.g. http://127.0.0.1:5004 */
  readonly url: string;
  readonly port: number;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly device: () => DeviceInfo;
  readonly lineup: LineupService;
  readonly sessions: SessionManager;
  readonly guide: GuideService;
  readonly bus: EventBus;
  close(): Promise<void>;
}

/** Stops what was started, in reverse order, even when start-up fails half way. */
class Stack {
  private readonly stops: (() => Promise<void> | void)[] = [];
  push(stop: () => Promise<void> | void): void {
    this.stops.push(stop);
  }
  async close(): Promise<void> {
    for (const stop of this.stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
    this.stops.length = 0;
  }
}

export async function startService(opts: StartOptions): Promise<Service> {
  const started = performance.now();
  const { settings, file } = await loadSettings({
    argv: [...opts.argv],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  const logger = createLogger({ level: settings.logLevel, destination: opts.logDestination });
  const stack = new Stack();
  try {
    await mkdir(settings.dataDir, { recursive: true });
    const identity = await loadOrCreateIdentity(
      settings.dataDir,
      {
        deviceId: settings.device.deviceId || undefined,
        deviceAuth: settings.device.deviceAuth || undefined,
      },
      { logger },
    );
    const device = (): DeviceInfo => ({
      ...identity,
      friendlyName: settings.device.friendlyName,
      modelNumber: settings.device.modelNumber,
      firmwareName: settings.device.firmwareName,
      firmwareVersion: settings.device.firmwareVersion,
    });

    const lineup = new LineupService({
      tunersDir: settings.tunersDir,
      dataDir: settings.dataDir,
      logger,
      demo: settings.demo,
      demoConnections: settings.tuners.demoConnections,
      tunerCap: settings.tuners.max,
      firstNumber: settings.lineup.firstNumber,
      useProviderNumbers: settings.lineup.useProviderNumbers,
      qualityPreference: settings.lineup.qualityPreference,
      hlsVariant: settings.lineup.hlsVariant,
      defaultRefreshInterval: durationMs(settings.lineup.refreshInterval),
    });
    await lineup.start();
    stack.push(() => lineup.stop());

    const sessions = new SessionManager({
      options: settings.streaming,
      limits: () => lineup.sourceLimits(),
      tunerCount: () => lineup.tunerCount(),
      logger,
    });
    stack.push(() => sessions.close());

    const streamer = sessionStreamer(sessions);

    const guide = new GuideService({
      lineup,
      epgDir: settings.epgDir,
      cacheDir: path.join(settings.epgDir, 'cache'),
      logger,
      pastHours: settings.guide.pastHours,
      futureDays: settings.guide.futureDays,
      dummyBlockMinutes: settings.guide.dummyBlockMinutes,
      fillGapsMinutes: settings.guide.fillGapsMinutes,
      channelId: settings.guide.channelId,
      ...(settings.guide.lcn === 'auto' ? {} : { lcn: settings.guide.lcn === 'on' }),
      precedence: settings.guide.precedence,
      urls: settings.guide.urls,
      timeShifts: settings.guide.timeShifts,
      refreshIntervalMs: durationMs(settings.guide.refreshInterval),
      shortEpgConcurrency: settings.guide.shortEpgConcurrency,
    });
    await guide.start();
    stack.push(() => guide.stop());

    // Native tuning (TCP 65001 + UDP/RTP): a control-protocol tuner is one more client of a channel session.
    const native = await createNativeTuning({
      lineup,
      sessions,
      dataDir: settings.dataDir,
      logger,
      channelMap: settings.native.channelMap,
    });
    stack.push(() => native.close());

    // Events: one bus fed by the services, read by the UI (SSE), metrics and webhooks.
    const bus = new EventBus(200, (e) => logger.warn({ err: String(e) }, 'event listener failed'));
    stack.push(bridgeServices(bus, { sessions, guide, lineup }));
    const metrics = createMetrics({ sessions, lineup, guide });
    stack.push(metrics.bindBus(bus));
    const hooks = new WebhookDispatcher(bus, settings.webhooks, logger);
    stack.push(() => hooks.stop());
    const pollers = startPollers(
      { tvheadend: settings.integrations.tvheadend, channelsDvr: settings.integrations.channelsDvr },
      sessions,
      logger,
    );
    stack.push(() => pollers.stop());

    let port = settings.port;
    const baseUrl = (local: string | undefined): string =>
      baseUrlFor({ baseUrl: settings.baseUrl, advertiseAddress: settings.advertiseAddress, port }, local);
    const tvgId = (c: Channel): string =>
      settings.guide.channelId === 'tvgId' && c.epgId ? c.epgId : c.guideNumber;

    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    const startedAt = Date.now();
    app.get('/health', createHealthHandler({ startedAt, version: VERSION }));
    // Clients cannot authenticate: the HDHomeRun surface, streams and guide are open to the LAN, limited only
    // by the optional network allow-list. The admin API and UI sit behind the admin token.
    const lan = allowNetworks(settings.admin.allowNetworks);
    app.get('/metrics', lan, metrics.handler);
    const deviceXml = (b: string): string => renderDeviceXml(device(), b);
    app.use(lan, createHdhrRouter({ device, lineup, streamer, baseUrl, deviceXml, tvgId }));
    app.use(lan, createGuideRouter(guide));
    app.get(CHANNEL_MAP_PATH, lan, (req, res) => native.handleChannelMap(req, res));
    const ports: AdminPorts = {
      version: VERSION,
      startedAt,
      sessions,
      lineup,
      guide,
      logs: logRing,
      bus,
      device,
      baseUrl,
      sources: createFileSourceStore({
        dir: settings.tunersDir,
        validate: definitionValidator(settings.tunersDir, opts.env ?? process.env),
      }),
      settings: createSettingsPort({
        settings,
        dataDir: settings.dataDir,
        ...(opts.requestRestart ? { apply: opts.requestRestart } : {}),
      }),
    };
    app.use('/api', adminAuth(settings.admin.token), createAdminApi(ports, { logger }));
    app.use(createUi({ ports, bus, token: settings.admin.token }));

    const server = await listen(app, settings.port, settings.bindAddress);
    stack.push(() => closeServer(server));
    port = boundPort(server);
    let server80: http.Server | undefined;
    if (settings.port80 && port !== 80) {
      server80 = await listenPort80(app, settings.bindAddress, logger);
      stack.push(() => closeServer(server80));
    }

    const interfaces = [...settings.interfaces];
    if (settings.udpDiscovery) {
      const discovery = new DiscoveryServer({
        interfaces,
        advertiseAddress: settings.advertiseAddress || undefined,
        httpPort: port,
        info: () => ({
          deviceId: identity.deviceId,
          deviceAuth: identity.deviceAuth,
          tunerCount: lineup.tunerCount(),
        }),
        logger,
      });
      await startOptional('UDP discovery (65001)', () => discovery.start(), logger);
      stack.push(() => discovery.stop());
    }
    if (settings.native.controlProtocol) {
      const control = new ControlServer({
        interfaces,
        vars: chainProviders(
          native.variables,
          systemVariables({
            firmwareName: settings.device.firmwareName,
            modelNumber: settings.device.modelNumber,
            firmwareVersion: settings.device.firmwareVersion,
            tunerCount: () => lineup.tunerCount(),
          }),
        ),
        logger,
      });
      await startOptional('control protocol (TCP 65001)', () => control.start(), logger);
      stack.push(() => control.stop());
    }
    if (settings.ssdp) {
      const ssdp = new SsdpAdvertiser({ uuid: identity.uuid, httpPort: port, interfaces, logger });
      await startOptional('SSDP', () => ssdp.start(), logger);
      stack.push(() => ssdp.stop());
    }

    const url = `http://127.0.0.1:${port}`;
    logger.info(
      {
        deviceId: identity.deviceId,
        port,
        settingsFile: file,
        channels: lineup.channels().length,
        tuners: lineup.tunerCount(),
        startMs: Math.round(performance.now() - started),
      },
      `tunerbridge ready: ${url} (web UI), lineup at ${url}/lineup.json`,
    );
    return { url, port, settings, logger, device, lineup, sessions, guide, bus, close: () => stack.close() };
  } catch (err) {
    await stack.close();
    throw err;
  }
}

/** Discovery responders are optional: a port clash must not stop the tuner from serving HTTP. */
async function startOptional(what: string, start: () => Promise<void>, logger: Logger): Promise<void> {
  try {
    await start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    logger.warn({ code: e.code }, `${what} not started: ${e.message}`);
  }
}
