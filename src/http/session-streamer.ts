// The HTTP surface's `Streamer` over the streaming core: attach passes through, and the busy-tuner
// rows (/tuners.html, /status.json) are read from the live sessions.
import type { SessionManager } from '../stream/session-manager.js';
import type { Streamer } from './ports.js';

export function sessionStreamer(sessions: Pick<SessionManager, 'attach' | 'sessions'>): Streamer {
  return {
    attach: (channel, sink, opts) => sessions.attach(channel, sink, opts),
    tunerUse: () =>
      sessions.sessions().map((s) => ({
        tuner: s.tuner,
        guideNumber: s.guideNumber,
        channelName: s.channel,
        bitrate: s.bitrate,
        clients: s.clients,
      })),
  };
}
