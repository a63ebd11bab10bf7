// Filtering of the in-memory log ring for GET /api/logs.
import type { LogEntry } from '../log.js';
import { invalid } from './errors.js';

const ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export function filterLogs(entries: readonly LogEntry[], query: Record<string, unknown>): LogEntry[] {
  const str = (k: string): string | undefined => {
    const v = query[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw invalid(k, 'must be given once, as text');
    return v;
  };
  const level = str('level');
  const min = level === undefined ? 0 : ORDER.indexOf(level);
  if (min < 0) throw invalid('level', `one of ${ORDER.join(', ')}`);
  const q = str('q')?.toLowerCase();
  const channel = str('channel');
  const source = str('source');
  const limitText = str('limit');
  const limit = limitText === undefined ? 500 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw invalid('limit', 'an integer from 1 to 500');
  const sinceText = str('since');
  const since = sinceText === undefined ? 0 : Number(sinceText);
  if (!Number.isFinite(since)) throw invalid('since', 'epoch milliseconds');
  const out = entries.filter(
    (e) =>
      levelOf(e.level) >= min &&
      e.time > since &&
      (channel === undefined || String(e.channel) === channel) &&
      (source === undefined || String(e.source) === source) &&
      (q === undefined || JSON.stringify(e).toLowerCase().includes(q)),
  );
  return out.slice(-limit);
}

/** Unknown levels count as info, so they are shown unless the filter asks for warnings and above. */
function levelOf(level: string): number {
  const i = ORDER.indexOf(level);
  return i < 0 ? 2 : i;
}
