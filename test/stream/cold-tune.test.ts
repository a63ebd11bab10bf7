// A cold-tuned client must see a valid program (PAT and PMT) from its first bytes on, not just
// null packets, even while the source has yet to reach its first keyframe.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { Channel } from '../../src/model.js';
import { DEFAULT_STREAMING, SessionManager } from '../../src/stream/session-manager.js';
import { OUTPUT } from '../../src/ts/constants.js';
import { pidOf, pusiOf } from '../../src/ts/packet.js';
import { parsePat, parsePmt } from '../../src/ts/psi.js';
import { H264_P_ES, psiPackets, tsPacket } from '../ts/synth.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A source that sends PSI, PCR and P-frames every 40 ms but never a keyframe. */
async function noKeyframeSource(): Promise<string> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    let f = 0;
    const t = setInterval(() => {
      const dts = 900_000 + f * 3600;
      const streams = [
        { streamType: 0x1b, pid: 0x100 },
        { streamType: 0x0f, pid: 0x101 },
      ];
      res.write(
        Buffer.concat([
          psiPackets({ pmtPid: 0x1000, pcrPid: 0x100, streams, cc: f }),
          tsPacket(0x100, f, { pusi: true, pts: dts, dts, pcr: dts * 300, es: H264_P_ES }),
          tsPacket(0x101, f, { pusi: true, pts: dts, streamId: 0xc0 }),
        ]),
      );
      f++;
    }, 40);
    res.on('close', () => clearInterval(t));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/live`;
}

describe('cold tune', () => {
  it("sends the fixed PAT at once and the source's PMT before its first keyframe", async () => {
    const url = await noKeyframeSource();
    const mgr = new SessionManager({
      options: {
        ...DEFAULT_STREAMING,
        ffmpegPath: '',
        lingerMs: 0,
        validateTimeoutMs: 5000,
        slateAfterMs: 5000,
      },
      limits: () => [
        {
          sourceId: 's',
          name: 's',
          accountKey: 's',
          maxConnections: 1,
          enabled: true,
          status: 'ok',
          channelCount: 1,
        },
      ],
      tunerCount: () => 1,
      logger: silentLogger,
    });
    closers.push(() => mgr.close());
    const channel: Channel = {
      key: 'c',
      guideNumber: '5',
      name: 'c',
      hd: true,
      candidates: [
        {
          sourceId: 's',
          accountKey: 's',
          url,
          label: 's',
          headers: {},
          priority: 0,
          name: 's',
          streamId: '1',
          quality: 0,
          kind: 'ts',
        },
      ],
    };
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (d: Buffer) => chunks.push(d));
    expect((await mgr.attach(channel, sink, { client: 'c' })).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const first = chunks[0]!;
    expect(pidOf(first, 0)).toBe(0);
    expect(parsePat(first.subarray(5, 5 + 3 + first[7]!))).toMatchObject({
      ok: true,
      value: { programs: [{ programNumber: OUTPUT.programNumber, pmtPid: OUTPUT.pmtPid }] },
    });
    await new Promise((r) => setTimeout(r, 500));
    const all = Buffer.concat(chunks);
    const pids = new Set<number>();
    let pmt: ReturnType<typeof parsePmt> | undefined;
    for (let o = 0; o < all.length; o += 188) {
      const pid = pidOf(all, o);
      pids.add(pid);
      if (pid === OUTPUT.pmtPid && pusiOf(all, o) && !pmt)
        pmt = parsePmt(all.subarray(o + 5, o + 8 + (((all[o + 6]! & 0x0f) << 8) | all[o + 7]!)));
    }
    expect(pmt).toMatchObject({
      ok: true,
      value: {
        pcrPid: OUTPUT.videoPid,
        streams: [
          { pid: OUTPUT.videoPid, streamType: 0x1b },
          { pid: OUTPUT.audioPid, streamType: 0x0f },
        ],
      },
    });
    expect([...pids].sort((a, b) => a - b)).toEqual([0, OUTPUT.pmtPid, 0x1fff]); // no media yet
    expect(mgr.sessions()[0]?.state).toBe('starting');
  });
});
