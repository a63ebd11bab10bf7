// One flat view of the guide status for the dashboard, metrics and the progress bar, whichever shape
// (percentage or running counts) the guide service reports.
import type { GuideStatus } from './ports.js';

export interface GuideSummary {
  refreshing: boolean;
  /** 0–100 when known; null while refreshing without a known total. */
  percent: number | null;
  lastRefresh: string | null;
  programmes?: number;
  channels?: number;
  bytes?: number;
  channelsMatched?: number;
  channelsTotal?: number;
}

export function guideSummary(g: GuideStatus): GuideSummary {
  const counts = typeof g.progress === 'object' && g.progress ? g.progress : {};
  const refreshing = g.inProgress === true || g.state === 'refreshing';
  const percent = typeof g.progress === 'number' ? g.progress : refreshing ? null : 100;
  const last =
    g.lastRefresh === undefined || g.lastRefresh === null
      ? null
      : typeof g.lastRefresh === 'number'
        ? new Date(g.lastRefresh).toISOString()
        : g.lastRefresh;
  return {
    refreshing,
    percent,
    lastRefresh: last,
    programmes: g.programmes ?? counts.programmes,
    channels:
      g.channels ?? counts.channelsMatched ?? (Array.isArray(g.coverage) ? g.coverage.length : undefined),
    bytes: g.bytes ?? counts.bytes,
    channelsMatched: counts.channelsMatched,
    channelsTotal: counts.channelsTotal,
  };
}
