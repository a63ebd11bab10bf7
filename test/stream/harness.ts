// Shared setup for streaming scenario tests: a fake provider whose streams inject faults, a
// SessionManager with short timings, and a recording client whose bytes are checked the way a
// client would notice problems (TsChecker + ffprobe).
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { startFakeProvider, type FakeProvider } from '../fake-provider/server.js';
import { FakeStreams, prepareClip, type LoopClip, type StreamPlan } from '../fake-provider/streams.js';
import {
  SessionManager,
  DEFAULT_STREAMING,
  type StreamingOptions,
} from '../../src/stream/session-manager.js';
import { demoClips } from '../../src/media/assets.js';
import { fixtures } from '../fixtures/fixtures.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { Channel, SourceLimit, StreamCandidate } from '../../src/model.js';
import { TsChecker, type CheckReport } from '../../src/ts/checker.js';

export const FAST: StreamingOptions = {
  ...DEFAULT_STREAMING,
  lingerMs: 100,
  stallMs: 600,
  validateTimeoutMs: 2000,
  slateAfterMs: 700,
  allSourcesFailedHoldMs: 4000,
  probeIntervalMs: 300,
  switchBackStableMs: 800,
  minSwitchBackIntervalMs: 0,
  ringSeconds: 4,
  maxLagMs: 3000,
  ffmpegPath: '',
};

let clips: Promise<Record<'main' | 'alt' | 'mpeg2', LoopClip>> | undefined;

/** The demo clip (H.264/AAC), the alt-pids fixture (other PIDs and clock) and the MPEG-2 fixture. */
export function loadClips(): Promise<Record<'main' | 'alt' | 'mpeg2', LoopClip>> {
  clips ??= (async () => {
    return {
      main: prepareClip(await readFile(demoClips()[0]!.file)),
      alt: prepareClip(await readFile(fixtures.altPids)),
      mpeg2: prepareClip(await readFile(fixtures.mpeg2)),
    };
  })();
  return clips;
}

export interface Rig {
  fake: FakeProvider;
  streams: FakeStreams;
  mgr: SessionManager;
  limit: { max: number };
  channel(
    candidates: { id: string; ext?: string; kind?: StreamCandidate['kind'] }[],
    guideNumber?: string,
  ): Channel;
  close(): Promise<void>;
}

export async function rig(
  plans: Record<string, StreamPlan>,
  opts: {
    options?: Partial<StreamingOptions>;
    maxConnections?: number;
    tuners?: number;
    streamRedirect?: boolean;
  } = {},
): Promise<Rig> {
  const streams = new FakeStreams(plans);
  const fake = await startFakeProvider({
    username: 'alice',
    password: 'pw-secret',
    onStream: streams.handler,
    streamRedirect: opts.streamRedirect ?? false,
  });
  const limit = { max: opts.maxConnections ?? 2 };
  const limits = (): SourceLimit[] => [
    {
      sourceId: 'p',
      name: 'P',
      accountKey: 'alice',
      maxConnections: limit.max,
      enabled: true,
      status: 'ok',
      channelCount: 1,
    },
  ];
  const mgr = new SessionManager({
    options: { ...FAST, ...opts.options },
    limits,
    tunerCount: () => opts.tuners ?? 2,
    // TB_STREAM_LOG=1 prints the session logs when debugging a scenario.
    logger: process.env.TB_STREAM_LOG
      ? createLogger({ level: 'debug', destination: process.stderr })
      : silentLogger,
    backoff: { baseMs: 400, maxMs: 2000, windowMs: 60_000 },
    timeouts: { connectMs: 1000, headersMs: 1000, bodyMs: 5000 },
    hls: { startSegments: 2, maxBandwidth: Infinity, leadMs: 500 },
  });
  return {
    fake,
    streams,
    mgr,
    limit,
    channel: (cands, guideNumber = '7') => ({
      key: 'ch',
      guideNumber,
      name: 'Channel',
      hd: true,
      candidates: cands.map((c, i) => ({
        sourceId: `s${i}`,
        accountKey: 'alice',
        url: `${fake.url}/live/alice/pw-secret/${c.id}.${c.ext ?? 'ts'}`,
        label: `s${i}/${c.id}`,
        headers: { 'User-Agent': 'tb-test' },
        priority: i,
        name: c.id,
        streamId: c.id,
        quality: 0,
        kind: c.kind ?? 'ts',
      })),
    }),
    close: async () => {
      await mgr.close();
      streams.closeAll();
      await fake.close();
    },
  };
}

export interface Recording {
  sink: PassThrough;
  chunks: { at: number; data: Buffer }[];
  firstByteMs(): number | undefined;
  bytes(): Buffer;
  /** Note that a switch happened now: check() expects PSI soon after this point. */
  mark(): void;
  /** Longest time without bytes since the first byte (ms), including up to now. */
  maxSilenceMs(): number;
  check(): CheckReport;
}

/** A client sink; with `mgr`, every switch is marked so check() verifies PSI after it. */
export function record(mgr?: SessionManager): Recording {
  const sink = new PassThrough({ highWaterMark: 4 << 20 });
  const t0 = performance.now();
  const chunks: { at: number; data: Buffer }[] = [];
  // Marks are byte positions in the output: bytes received plus those still queued in the sink.
  const marks: number[] = [];
  let received = 0;
  const mark = (): number => marks.push(received + sink.readableLength + sink.writableLength);
  mgr?.on('switch', mark);
  sink.on('data', (d: Buffer) => {
    received += d.length;
    chunks.push({ at: performance.now() - t0, data: d });
  });
  return {
    sink,
    chunks,
    firstByteMs: () => chunks[0]?.at,
    mark: () => void mark(),
    bytes: () => Buffer.concat(chunks.map((c) => c.data)),
    maxSilenceMs: () => {
      let max = 0;
      for (let i = 1; i < chunks.length; i++) max = Math.max(max, chunks[i]!.at - chunks[i - 1]!.at);
      return chunks.length ? Math.max(max, performance.now() - t0 - chunks.at(-1)!.at) : Infinity;
    },
    check: () => {
      const c = new TsChecker();
      let m = 0;
      let pos = 0;
      for (const ch of chunks) {
        let data = ch.data;
        while (m < marks.length && marks[m]! < pos + data.length) {
          const cut = Math.max(0, marks[m]! - pos);
          c.push(data.subarray(0, cut), ch.at);
          c.markSplice();
          pos += cut;
          data = data.subarray(cut);
          m++;
        }
        c.push(data, ch.at);
        pos += data.length;
      }
      return c.report();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, ms: number, what = 'condition'): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}
