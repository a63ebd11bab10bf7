// Test helpers for the guide: a fake Lineup and channel/guide builders.
import type { Channel, StreamCandidate } from '../../src/model.js';

export { FakeLineup } from '../helpers/fake-lineup.js';

export function channel(guideNumber: string, name: string, extra: Partial<Channel> = {}): Channel {
  return { key: name.toLowerCase(), guideNumber, name, hd: false, candidates: [], ...extra };
}

export function xtreamCandidate(sourceId: string, streamId: string): StreamCandidate {
  return {
    sourceId,
    accountKey: sourceId,
    url: `http://127.0.0.1:1/live/user/pass/${streamId}.ts`,
    label: `http://127.0.0.1:1/live/***/***/${streamId}.ts`,
    headers: {},
    priority: 0,
    name: 'x',
    streamId,
    quality: 0,
    kind: 'ts',
  };
}

const pad = (n: number): string => String(n).padStart(2, '0');
export function xmltvTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())} +0000`;
}

export interface GenChannel {
  id: string;
  names: string[];
}

/** A small XMLTV document: `perChannel` one-hour programmes per channel starting at `from`. */
export function makeXmltv(
  channels: GenChannel[],
  from: number,
  perChannel: number,
  title = (c: string, i: number) => `${c} show ${i}`,
): string {
  let s = '<?xml version="1.0" encoding="UTF-8"?>\n<tv>\n';
  const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  for (const c of channels) {
    s += `<channel id="${esc(c.id)}">${c.names.map((n) => `<display-name>${esc(n)}</display-name>`).join('')}</channel>\n`;
  }
  for (const c of channels) {
    for (let i = 0; i < perChannel; i++) {
      const st = from + i * 3600_000;
      s += `<programme start="${xmltvTime(st)}" stop="${xmltvTime(st + 3600_000)}" channel="${esc(c.id)}"><title>${esc(title(c.id, i))}</title></programme>\n`;
    }
  }
  return s + '</tv>\n';
}
