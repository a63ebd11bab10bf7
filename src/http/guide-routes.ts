// /xmltv.xml and /xmltv.xml.gz: the guide, streamed from the last complete build (never waits for a refresh).
import { Router } from 'express';
import type { Writable } from 'node:stream';

export interface GuideWriter {
  writeXmltv(out: Writable, opts: { gzip: boolean }): Promise<void>;
}

export function createGuideRouter(guide: GuideWriter): Router {
  const r = Router();
  for (const gzip of [false, true]) {
    r.get(gzip ? '/xmltv.xml.gz' : '/xmltv.xml', async (_req, res) => {
      res.type(gzip ? 'application/gzip' : 'application/xml; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache');
      try {
        await guide.writeXmltv(res, { gzip });
        if (!res.writableEnded) res.end();
      } catch {
        if (!res.headersSent) res.status(503).type('text/plain').send('guide not available yet');
        else res.destroy();
      }
    });
  }
  return r;
}
