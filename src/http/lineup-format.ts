// Pure renderers for the lineup in the three formats a real HDHomeRun serves. Flags are numbers (1) and
// omitted when false: Emby types `HD` as an int. URLs carry no query string and no secrets.
import type { Channel } from '../model.js';

export interface LineupEntry {
  GuideNumber: string;
  GuideName: string;
  URL: string;
  HD?: 1;
  VideoCodec?: string;
  AudioCodec?: string;
}

export function streamUrl(baseUrl: string, guideNumber: string): string {
  return `${baseUrl}/auto/v${guideNumber}`;
}

export function lineupEntries(channels: readonly Channel[], baseUrl: string): LineupEntry[] {
  return channels.map((c) => {
    const e: LineupEntry = {
      GuideNumber: c.guideNumber,
      GuideName: c.name,
      URL: streamUrl(baseUrl, c.guideNumber),
    };
    if (c.hd) e.HD = 1;
    return e;
  });
}

export function xmlEscape(s: string): string {
  return s
    .replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`)
    .replace(
      // Control characters are not allowed in XML 1.0 at all.
      // eslint-disable-next-line no-control-regex
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g,
      '',
    );
}

export function lineupXml(channels: readonly Channel[], baseUrl: string): string {
  const rows = lineupEntries(channels, baseUrl).map((e) => {
    const fields = Object.entries(e)
      .map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`)
      .join('');
    return `<Program>${fields}</Program>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Lineup>${rows.join('')}</Lineup>\n`;
}

/** M3U attribute values cannot contain a double quote; replace it rather than break the line. */
function attr(v: string): string {
  return v.replace(/"/g, "'").replace(/[\r\n]+/g, ' ');
}

export interface M3uOptions {
  readonly baseUrl: string;
  readonly guideUrl: string;
  /** XMLTV channel id per channel (GuideNumber by default, matching /xmltv.xml). */
  readonly tvgId: (c: Channel) => string;
}

export function lineupM3u(channels: readonly Channel[], o: M3uOptions): string {
  const out = [`#EXTM3U url-tvg="${attr(o.guideUrl)}" x-tvg-url="${attr(o.guideUrl)}"`];
  for (const c of channels) {
    const parts = [
      `tvg-id="${attr(o.tvgId(c))}"`,
      `tvg-chno="${attr(c.guideNumber)}"`,
      `tvg-name="${attr(c.name)}"`,
      `tvg-logo="${attr(c.logo ?? '')}"`,
      `group-title="${attr(c.group ?? '')}"`,
    ];
    out.push(`#EXTINF:-1 ${parts.join(' ')},${c.name.replace(/[\r\n]+/g, ' ')}`);
    out.push(streamUrl(o.baseUrl, c.guideNumber));
  }
  return out.join('\n') + '\n';
}
