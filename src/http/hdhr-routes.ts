// The HTTP API of a real HDHomeRun (SiliconDust's HTTP development guide), as Plex, Channels DVR,
// Emby and Jellyfin read it. See docs in README "How clients use it".
import { Router, type Request, type Response } from 'express';
import type { HdhrDeps } from './ports.js';
import { lineupEntries, lineupM3u, lineupXml, xmlEscape } from './lineup-format.js';
import { streamHandler } from './stream-route.js';

export function createHdhrRouter(deps: HdhrDeps): Router {
  const r = Router();
  const base = (req: Request): string => deps.baseUrl(req.socket.localAddress);

  r.get('/discover.json', (req, res) => {
    const d = deps.device();
    const baseUrl = base(req);
    res.json({
      FriendlyName: d.friendlyName,
      Manufacturer: 'Silicondust',
      ModelNumber: d.modelNumber,
      FirmwareName: d.firmwareName,
      FirmwareVersion: d.firmwareVersion,
      DeviceID: d.deviceId,
      DeviceAuth: d.deviceAuth,
      BaseURL: baseUrl,
      LineupURL: `${baseUrl}/lineup.json`,
      // Plex reads a string here as a character code ("1" → 49 tuners): always a JSON number.
      TunerCount: deps.lineup.tunerCount(),
    });
  });

  // show=found|unprotected|demo|all all return the whole lineup: we have no DRM channels to hide.
  r.get('/lineup.json', (req, res) => {
    res.json(lineupEntries(deps.lineup.channels(), base(req)));
  });

  r.get('/lineup.xml', (req, res) => {
    res.type('application/xml').send(lineupXml(deps.lineup.channels(), base(req)));
  });

  r.get('/lineup.m3u', (req, res) => {
    const baseUrl = base(req);
    res
      .type('audio/x-mpegurl')
      .send(
        lineupM3u(deps.lineup.channels(), { baseUrl, guideUrl: `${baseUrl}/xmltv.xml`, tvgId: deps.tvgId }),
      );
  });

  r.get('/lineup_status.json', (_req, res) => {
    const s = deps.lineup.scanStatus();
    if (s.inProgress) {
      res.json({ ScanInProgress: 1, Progress: Math.round(s.progress), Found: s.found });
    } else {
      res.json({ ScanInProgress: 0, ScanPossible: 1, Source: 'Cable', SourceList: ['Cable'] });
    }
  });

  // Plex POSTs scan=start during setup and gives up on anything but 200; tvhProxy users needed GET too.
  const lineupPost = (req: Request, res: Response): void => {
    const scan = typeof req.query.scan === 'string' ? req.query.scan : undefined;
    if (scan === 'start') {
      void deps.lineup.scan().catch(() => undefined);
    } else if (scan === 'abort') {
      deps.lineup.abortScan();
    }
    res.status(200).end();
  };
  r.get('/lineup.post', lineupPost);
  r.post('/lineup.post', lineupPost);

  r.get('/device.xml', (req, res) => {
    res.type('application/xml').send(deps.deviceXml(base(req)));
  });

  r.get('/status.json', (_req, res) => {
    const busy = new Map(deps.streamer.tunerUse().map((t) => [t.tuner, t]));
    const rows = [];
    for (let i = 0; i < deps.lineup.tunerCount(); i++) {
      const t = busy.get(i);
      rows.push(
        t
          ? {
              Resource: `tuner${i}`,
              VctNumber: t.guideNumber,
              VctName: t.channelName,
              SignalStrengthPercent: 100,
              SignalQualityPercent: 100,
              SymbolQualityPercent: 100,
              NetworkRate: Math.round(t.bitrate),
              TargetIP: t.clients[0]?.address ?? '',
            }
          : { Resource: `tuner${i}` },
      );
    }
    res.json(rows);
  });

  // Old Emby scrapes "Tuner N Channel" rows; keep the real device's wording.
  r.get('/tuners.html', (_req, res) => {
    const busy = new Map(deps.streamer.tunerUse().map((t) => [t.tuner, t]));
    const rows: string[] = [];
    for (let i = 0; i < deps.lineup.tunerCount(); i++) {
      const t = busy.get(i);
      const what = t ? `${xmlEscape(t.guideNumber)} ${xmlEscape(t.channelName)}` : 'not in use';
      rows.push(`<tr><td>Tuner ${i} Channel</td><td>${what}</td></tr>`);
    }
    res.type('text/html').send(`<!DOCTYPE html><html><body><table>${rows.join('')}</table></body></html>`);
  });

  const stream = streamHandler(deps);
  r.get(/^\/auto\/v(\d+(?:\.\d+)?)$/, (req, res) => stream(req, res, undefined, req.params[0]));
  r.head(/^\/auto\/v(\d+(?:\.\d+)?)$/, (req, res) => stream(req, res, undefined, req.params[0]));
  r.get(/^\/tuner(\d+)\/v(\d+(?:\.\d+)?)$/, (req, res) =>
    stream(req, res, Number(req.params[0]), req.params[1]),
  );
  r.head(/^\/tuner(\d+)\/v(\d+(?:\.\d+)?)$/, (req, res) =>
    stream(req, res, Number(req.params[0]), req.params[1]),
  );
  // Anything else under /auto/ or /tunerN/ is an unknown channel, answered the device's way.
  r.all(/^\/(auto|tuner\d+)\//, (_req, res) => {
    res.status(404).set('X-HDHomeRun-Error', '801 Unknown Channel').end();
  });

  return r;
}
