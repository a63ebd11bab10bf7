// /auto/v<GuideNumber> and /tuner<N>/v<GuideNumber>. Stream errors follow the device: 404/503 with
// `X-HDHomeRun-Error: <code> <text>` and an EMPTY body (Jellyfin copies any body into its stream file).
import type { Request, Response } from 'express';
import type { HdhrDeps } from './ports.js';

function fail(res: Response, status: number, code: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(status).set('X-HDHomeRun-Error', `${code} ${text}`).set('Content-Length', '0').end();
}

export function streamHandler(deps: HdhrDeps) {
  return async (req: Request, res: Response, tuner: number | undefined, guideNumber: string | undefined) => {
    const channel = guideNumber === undefined ? undefined : deps.lineup.get(guideNumber);
    if (!channel) return fail(res, 404, 801, 'Unknown Channel');
    if (tuner !== undefined && tuner >= deps.lineup.tunerCount())
      return fail(res, 404, 801, 'Unknown Channel');

    res.status(200);
    res.setHeader('Content-Type', 'video/mp2t');
    res.setHeader('Cache-Control', 'no-cache, no-store');
    // A live stream has no length and cannot be sought: say so rather than pretend to honour Range.
    res.setHeader('Accept-Ranges', 'none');
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    req.socket.setNoDelay(true);

    // `duration=<s>` ends the stream after that long, as on the device; other params (transcode=…) are ignored.
    const ac = new AbortController();
    const duration = Number(req.query.duration);
    const timer =
      Number.isFinite(duration) && duration > 0 ? setTimeout(() => ac.abort(), duration * 1000) : undefined;
    res.once('close', () => {
      if (timer) clearTimeout(timer);
      ac.abort();
    });

    const client = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`;
    let result;
    try {
      result = await deps.streamer.attach(channel, res, { tuner, client, signal: ac.signal });
    } catch {
      if (timer) clearTimeout(timer);
      return fail(res, 503, 806, 'Tune Failed');
    }
    if (!result.ok) {
      if (timer) clearTimeout(timer);
      return fail(res, result.status, result.code, result.text);
    }
    await result.done;
    if (timer) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
}
