// Interop: the guide pipeline against real XMLTV files (../shared/data/xmltv), an independent
// XML parser (Python's expat) as the counting oracle, and the real validators: xmllint with the
// XMLTV DTD and XMLTV's own tv_validate_file.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { GuideService } from '../../src/guide/service.js';
import { readXmltv } from '../../src/guide/xmltv-reader.js';
import { ingestXmltv } from '../../src/guide/ingest.js';
import { SpoolWriter } from '../../src/guide/spool.js';
import { FakeLineup, channel } from '../guide/helpers.js';
import { repoRoot, requireProgram } from './helpers/env.js';

const run = promisify(execFile);
const DATA = resolve(repoRoot(), '../shared/data');
const XMLTV = join(DATA, 'xmltv');
const DTD = join(DATA, 'dtd', 'xmltv.dtd');
const PYTHON = '/usr/bin/python3';

function need(path: string, what: string): void {
  if (!existsSync(path)) throw new Error(`interop guide test needs ${what} at ${path}`);
}

// Counts channels, programmes and zero/negative-length programmes with expat.
const ORACLE = `
import sys, gzip, json, re, datetime, xml.etree.ElementTree as ET
def t(s):
    m = re.match(r'(\\d{14})\\s*([+-])(\\d\\d)(\\d\\d)', s or '')
    if not m: return None
    d = datetime.datetime.strptime(m.group(1), '%Y%m%d%H%M%S')
    off = (int(m.group(3)) * 60 + int(m.group(4))) * (-1 if m.group(2) == '-' else 1)
    return d - datetime.timedelta(minutes=off)
out = {}
for f in sys.argv[1:]:
    src = gzip.open(f) if f.endswith('.gz') else open(f, 'rb')
    c = p = z = 0
    for ev, el in ET.iterparse(src):
        if el.tag == 'channel': c += 1
        elif el.tag == 'programme':
            p += 1
            a, b = t(el.get('start')), t(el.get('stop'))
            if a and b and b <= a: z += 1
            el.clear()
    out[f] = [c, p, z]
print(json.dumps(out))
`;

async function files(): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(XMLTV)) {
    for (const f of await readdir(join(XMLTV, d))) if (/\.xml(\.gz)?$/.test(f)) out.push(join(XMLTV, d, f));
  }
  return out.sort();
}

describe('guide interop', () => {
  beforeAll(() => {
    need(XMLTV, 'the sample XMLTV files (../shared/data/xmltv)');
    need(DTD, 'the XMLTV DTD (../shared/data/dtd/xmltv.dtd)');
    need(PYTHON, 'Debian python3');
  });

  it('ingests every sample guide, counts matching an independent parser', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'tb-guide-ingest-'));
    onTestFinished(() => rm(scratch, { recursive: true, force: true }));
    const all = await files();
    expect(all.length).toBeGreaterThanOrEqual(15);
    const oracle = JSON.parse(
      (await run(PYTHON, ['-c', ORACLE, ...all], { maxBuffer: 1 << 20 })).stdout,
    ) as Record<string, [number, number, number]>;
    for (const f of all) {
      const [c, p, z] = oracle[f] as [number, number, number];
      const r = await readXmltv(createReadStream(f), { channel() {}, programme() {} });
      const name = f.slice(XMLTV.length + 1);
      expect({
        name,
        channels: r.channels,
        programmes: r.programmes,
        skipped: r.skipped,
        complete: r.complete,
      }).toEqual({
        name,
        channels: c,
        programmes: p - z,
        skipped: z,
        complete: true,
      });
    }
    // The service's batched path agrees with the streaming reader on every file.
    for (const f of all) {
      const w = new SpoolWriter(join(scratch, 'spool'), { from: 0, to: 8e12 });
      await w.openFile();
      const r = await ingestXmltv(createReadStream(f), w, {
        window: { from: 0, to: 8e12 },
        timeShiftMinutes: 0,
        workers: 0,
      });
      await w.finish();
      await w.discard();
      const [c, p, z] = oracle[f] as [number, number, number];
      expect({
        f,
        channels: r.channels,
        programmes: r.programmes,
        written: w.written,
        complete: r.complete,
      }).toEqual({
        f,
        channels: c,
        programmes: p - z,
        written: p - z,
        complete: true,
      });
    }
    // Documented in SOURCES.md, including the ISO-8859-1 and BOM files.
    const doc: Record<string, [number, number]> = {
      'michaz1988-epgguide/guide.xml.gz': [118, 12125],
      'freeview-epg/epg.xml': [9, 2070],
      'jellyfin-xmltv/UK_Data.xml': [5, 1964],
    };
    for (const [f, [c, p]] of Object.entries(doc))
      expect(oracle[join(XMLTV, f)]?.slice(0, 2)).toEqual([c, p]);
    const latin = await readXmltv(createReadStream(join(XMLTV, 'jellyfin-xmltv/UK_Data.xml')), {
      channel() {},
      programme() {},
    });
    expect(latin.encoding).toBe('windows-1252');
  });

  describe('output', () => {
    let dir: string;
    let guide: string;
    beforeAll(async () => {
      requireProgram('xmllint', 'apt-get install libxml2-utils');
      requireProgram('tv_validate_file', 'apt-get install xmltv-util');
      dir = await mkdtemp(join(tmpdir(), 'tb-guide-interop-'));
      const epg = join(dir, 'epg');
      const { mkdir } = await import('node:fs/promises');
      await mkdir(epg);
      // Symlinks, not copies: the sample data stays in ../shared.
      for (const f of [
        'michaz1988-epgguide/guide.xml.gz',
        'jellyfin-xmltv/UK_Data.xml',
        'jellyfin-xmltv/schedulesdirect.xml',
        'iptv-org-epg/nzxmltv.com.content.xml',
        'iptv-org-epg/epg.iptvx.one.content.xml',
        'iptv-org-epg/epg.tmacaraibes.com.content.xml',
        'freeview-epg/epg.xml',
      ]) {
        await symlink(join(XMLTV, f), join(epg, f.replace(/\//g, '_')));
      }
      const lineup = new FakeLineup([
        channel('1', 'Das Erste HD'),
        channel('2', 'ZDF', { epgId: 'ZDF' }),
        channel('3', 'Tom & Jerry <TV> Ünïcode 中文'),
        channel('4.1', 'CFTO', { epgId: 'I10108.json.schedulesdirect.org' }),
        channel('5', 'Some Channel Nobody Has'),
      ]);
      lineup.set([...lineup.channels(), ...(await ukChannels())]);
      const svc = new GuideService({
        lineup,
        epgDir: epg,
        cacheDir: join(dir, 'cache'),
        logger: pino({ level: 'silent' }),
        // The sample guides are from 2015–2026: a window wide enough to keep their programmes.
        pastHours: 24 * 365 * 12,
        futureDays: 400,
        dummyBlockMinutes: 24 * 60,
        // Holes and early ends get placeholders: the validity checks cover them too.
        fillGapsMinutes: 60,
        channelId: 'guideNumber',
        precedence: ['files', 'dummy'],
        urls: [],
        refreshIntervalMs: 3600_000,
        shortEpgConcurrency: 1,
      });
      await svc.refresh();
      const cov = svc.status().coverage;
      expect(cov.filter((c) => c.source === 'files').length).toBeGreaterThanOrEqual(4);
      guide = join(dir, 'guide-out.xml');
      const { createWriteStream } = await import('node:fs');
      await svc.writeXmltv(createWriteStream(guide) as unknown as Writable, { gzip: false });
      await svc.stop();
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('is valid against the XMLTV DTD (xmllint --dtdvalid)', async () => {
      const r = await run('xmllint', ['--noout', '--dtdvalid', DTD, guide]).catch(
        (e: { stderr: string; code: number }) => e,
      );
      expect('stderr' in r ? r.stderr : '').toBe('');
    });

    it('passes tv_validate_file, except for digit-only channel ids', async () => {
      const r = await run('tv_validate_file', ['--dtd-file', DTD, guide]).catch(
        (e: { stdout: string; stderr: string }) => e,
      );
      const findings = r.stderr.split('\n').filter((l) => l.trim() && !/^\s/.test(l));
      const other = findings.filter((l) => !/Invalid channel-id '\d+(\.\d+)?'/.test(l));
      expect(other).toEqual([]);
      expect(r.stdout).not.toMatch(/did not validate as well-formed/);
    });

    it('round-trips the real content it matched', async () => {
      let n = 0;
      let credited = 0;
      let rated = 0;
      let detailed = 0;
      const titles = new Set<string>();
      const r = await readXmltv(createReadStream(guide), {
        channel() {},
        programme(p) {
          n++;
          if (p.channel === '1') titles.add(p.titles[0]?.text ?? '');
          if (p.credits?.length) credited++;
          if (p.ratings?.length || p.starRatings?.length) rated++;
          if (p.video?.quality || p.subtitles?.length) detailed++;
        },
      });
      expect(r).toMatchObject({ complete: true, problemCount: 0 });
      expect(n).toBeGreaterThan(1000);
      expect(titles.size).toBeGreaterThan(20);
      // Cast and ratings of the real guides (Radio Times, Schedules Direct) come through.
      expect(credited).toBeGreaterThan(100);
      expect(rated).toBeGreaterThanOrEqual(10);
      // Video quality (what Emby and Jellyfin mark HD from) and teletext subtitles too.
      expect(detailed).toBeGreaterThan(100);
    });
  });
});

/** Lineup channels named after the Radio Times guide's display-names (matched by name). */
async function ukChannels(): Promise<ReturnType<typeof channel>[]> {
  const names: string[] = [];
  await readXmltv(createReadStream(join(XMLTV, 'jellyfin-xmltv/UK_Data.xml')), {
    channel: (c) => c.names[0] && names.push(c.names[0]),
    programme() {},
  });
  return names.slice(0, 3).map((n, i) => channel(String(100 + i), n));
}
