// Interop: native HDHomeRun tuning driven by the real libhdhomerun client (hdhomerun_config) and
// checked with the real ffprobe. Run inside the private network namespace:
//   ../shared/tools/netns-run npx vitest run --config vitest.interop.config.ts test/interop/native.test.ts
//
// src/app.ts does not wire native tuning yet, so this builds the service from the real modules:
// LineupService (built-in demo channels), SessionManager, the HDHomeRun HTTP router, UDP discovery
// and the TCP control server with the native variables in front of the system ones.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainProviders, systemVariables } from '../../src/hdhr/control.js';
import { ControlServer } from '../../src/hdhr/control-server.js';
import { DiscoveryServer } from '../../src/hdhr/discovery-server.js';
import { createHdhrRouter } from '../../src/http/hdhr-routes.js';
import { sessionStreamer } from '../../src/http/session-streamer.js';
import { uuidForDeviceId } from '../../src/identity/uuid.js';
import { LineupService } from '../../src/lineup/service.js';
import { silentLogger } from '../../src/log.js';
import type { DeviceInfo } from '../../src/model.js';
import { CHANNEL_MAP_PATH, createNativeTuning, type NativeTuning } from '../../src/native/index.js';
import { renderDeviceXml } from '../../src/ssdp/device-xml.js';
import { DEFAULT_STREAMING, SessionManager } from '../../src/stream/session-manager.js';
import { LAN, PEER, requireNetns, requireProgram, runProgram } from './helpers/env.js';

const HTTP_PORT = 5004;
const info: DeviceInfo = {
  deviceId: '1053C0CB',
  uuid: uuidForDeviceId('1053C0CB'),
  deviceAuth: 'interop-native',
  friendlyName: 'tunerbridge native interop',
  modelNumber: 'HDHR4-2US',
  firmwareName: 'hdhomerun4_atsc',
  firmwareVersion: '20200101',
};

let hdhr: string;
let ffprobe: string;
let tmp: string;
let lineup: LineupService;
let sessions: SessionManager;
let native: NativeTuning;
let discovery: DiscoveryServer;
let control: ControlServer;
let server: Server;

beforeAll(async () => {
  requireNetns();
  hdhr = requireProgram('hdhomerun_config');
  ffprobe = requireProgram('ffprobe');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'tb-native-interop-'));
  lineup = new LineupService({
    tunersDir: path.join(tmp, 'tuners'),
    dataDir: path.join(tmp, 'data'),
    logger: silentLogger,
    demo: true,
    demoConnections: 2,
    tunerCap: 8,
    firstNumber: 1,
    useProviderNumbers: false,
    qualityPreference: [],
    hlsVariant: 'highest',
    defaultRefreshInterval: 3_600_000,
    watch: false,
  });
  await lineup.start();
  for (let i = 0; i < 50 && lineup.channels().length < 3; i++) await new Promise((r) => setTimeout(r, 100));
  expect(lineup.channels().length, 'the demo lineup has three channels').toBe(3);
  sessions = new SessionManager({
    options: { ...DEFAULT_STREAMING, lingerMs: 200 },
    limits: () => lineup.sourceLimits(),
    tunerCount: () => lineup.tunerCount(),
    logger: silentLogger,
  });
  native = await createNativeTuning({
    lineup,
    sessions,
    dataDir: path.join(tmp, 'data'),
    logger: silentLogger,
  });

  const app = express();
  app.get(CHANNEL_MAP_PATH, (req, res) => native.handleChannelMap(req, res));
  app.use(
    createHdhrRouter({
      device: () => info,
      lineup,
      streamer: sessionStreamer(sessions),
      baseUrl: () => `http://${LAN}:${HTTP_PORT}`,
      deviceXml: (b) => renderDeviceXml(info, b),
      tvgId: (c) => c.guideNumber,
    }),
  );
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(HTTP_PORT, LAN, () => resolve(s));
  });
  discovery = new DiscoveryServer({
    interfaces: [LAN, 'lo'],
    httpPort: HTTP_PORT,
    info: () => ({ deviceId: info.deviceId, deviceAuth: info.deviceAuth, tunerCount: lineup.tunerCount() }),
    logger: silentLogger,
  });
  await discovery.start();
  control = new ControlServer({
    interfaces: [LAN, 'lo'],
    vars: chainProviders(
      native.variables,
      systemVariables({ ...info, tunerCount: () => lineup.tunerCount() }),
    ),
    logger: silentLogger,
  });
  await control.start();
});

afterAll(async () => {
  await control?.stop();
  discovery?.stop();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await native?.close();
  await sessions?.close();
  await lineup?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** hdhomerun_config <LAN> args…; returns trimmed stdout (stderr appended on failure). */
async function cfg(...args: string[]): Promise<string> {
  const r = await runProgram(hdhr, [LAN, ...args], { timeoutMs: 15_000 });
  expect(r.code, `hdhomerun_config ${args.join(' ')}: ${r.stdout}${r.stderr}`).not.toBeNull();
  return (r.stdout + (r.code === 0 || r.code === 1 ? '' : r.stderr)).trim();
}

/** Run hdhomerun_config until `done(stdout)` or `ms`, then stop it with SIGINT (it cleans up then). */
async function runUntil(
  args: string[],
  ms: number,
  done: (out: string) => boolean = () => false,
): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(hdhr, [LAN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && child.exitCode === null && !done(stdout)) {
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGINT');
  const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(kill);
  return { stdout, stderr };
}

async function probe(file: string): Promise<{ codec_type: string; codec_name: string }[]> {
  const r = await runProgram(ffprobe, ['-v', 'error', '-show_streams', '-of', 'json', file], {
    timeoutMs: 30_000,
  });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { streams: { codec_type: string; codec_name: string }[] }).streams;
}

async function waitIdle(): Promise<void> {
  for (let i = 0; i < 50 && sessions.sessions().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
}

describe('native tuning with real hdhomerun_config', () => {
  it('get /sys/model and get help', async () => {
    expect(await cfg('get', '/sys/model')).toBe('hdhomerun4_atsc');
    const help = await cfg('get', 'help');
    for (const line of [
      '/tuner<n>/channel',
      '/tuner<n>/vchannel',
      '/tuner<n>/target',
      '/tuner<n>/lockkey',
      '/sys/model',
    ]) {
      expect(help).toContain(line);
    }
  });

  it('set vchannel, then save: ffprobe decodes H.264 + AAC, and the tuner is freed after', async () => {
    const file = path.join(tmp, 'vchannel.ts');
    expect(await cfg('set', '/tuner0/vchannel', '1')).toBe('');
    expect(await cfg('get', '/tuner0/vstatus')).toMatch(/^vch=1 name=\S+/);
    const r = await runUntil(['save', '/tuner0', file], 4000);
    expect(r.stderr).toMatch(/\d+ packets received, 0 overflow errors, 0 network errors, 0 transport errors/);
    expect((await stat(file)).size).toBeGreaterThan(100_000);
    const streams = await probe(file);
    expect(streams.find((s) => s.codec_type === 'video')?.codec_name).toBe('h264');
    expect(streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('aac');
    expect(await cfg('get', '/tuner0/target')).toBe('none');
    await waitIdle();
    expect(sessions.sessions()).toEqual([]);
  });

  it('set channel auto:<Hz> + program from the published map, then save', async () => {
    const map = native.channelMap();
    const mux = map.muxes.find((m) => m.programs.some((p) => p.guideNumber === '2'))!;
    const program = mux.programs.find((p) => p.guideNumber === '2')!;
    expect(await cfg('set', '/tuner1/channel', `auto:${mux.frequency}`)).toBe('');
    expect(await cfg('set', '/tuner1/program', String(program.program))).toBe('');
    expect(await cfg('get', '/tuner1/status')).toMatch(
      new RegExp(`^ch=auto:${mux.frequency} lock=qam256 ss=100 snq=100 seq=100 bps=\\d+ pps=\\d+$`),
    );
    const file = path.join(tmp, 'channel.ts');
    await runUntil(['save', '/tuner1', file], 4000);
    const streams = await probe(file);
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    await waitIdle();
  });

  it('scan /tuner0 finds every lineup channel with its name on our channel map', async () => {
    const want = lineup.channels().map((c) => `: ${c.guideNumber} ${c.name}`);
    const r = await runUntil(['scan', '/tuner0'], 60_000, (out) => want.every((w) => out.includes(w)));
    for (const c of lineup.channels()) {
      const mux = native
        .channelMap()
        .muxes.find((m) => m.programs.some((p) => p.guideNumber === c.guideNumber))!;
      expect(r.stdout).toMatch(
        new RegExp(`SCANNING: ${mux.frequency} \\([^)]*\\bus-cable:${mux.channel}\\b`),
      );
      expect(r.stdout).toMatch(new RegExp(`PROGRAM \\d+: ${c.guideNumber.replace('.', '\\.')} ${c.name}\\n`));
    }
    expect(r.stdout).toContain('LOCK: qam256 (ss=100 snq=100 seq=100)');
    expect(r.stdout).toMatch(/TSID: 0x009E/);
    // The scan released its lock when interrupted, and opened no upstream.
    expect(await cfg('get', '/tuner0/lockkey')).toBe('none');
    expect(sessions.sessions()).toEqual([]);
  });

  it('lock keys: a locked tuner refuses sets without the key, as the device does', async () => {
    expect(await cfg('set', '/tuner0/lockkey', '4242')).toBe('');
    expect(await cfg('get', '/tuner0/lockkey')).toBe(LAN);
    expect(await cfg('set', '/tuner0/channel', 'auto:999000000')).toBe(`ERROR: resource locked by ${LAN}`);
    expect(await cfg('key', '4242', 'set', '/tuner0/channel', 'auto:999000000')).toBe('');
    expect(await cfg('get', '/tuner0/channel')).toBe('auto:999000000');
    expect(await cfg('key', '4242', 'set', '/tuner0/lockkey', 'none')).toBe('');
    expect(await cfg('set', '/tuner0/channel', 'none')).toBe('');
  });

  it('tuner exhaustion: tuners streaming over HTTP are locked for the control protocol', async () => {
    const held: http.ClientRequest[] = [];
    try {
      for (const gn of ['1', '2']) {
        await new Promise<void>((resolve, reject) => {
          const req = http.get(
            { host: LAN, port: HTTP_PORT, path: `/auto/v${gn}`, localAddress: PEER },
            (res) => {
              expect(res.statusCode).toBe(200);
              res.resume();
              resolve();
            },
          );
          req.on('error', reject);
          held.push(req);
        });
      }
      expect(
        sessions
          .sessions()
          .map((s) => s.tuner)
          .sort(),
      ).toEqual([0, 1]);
      for (const t of [0, 1]) {
        expect(await cfg('set', `/tuner${t}/vchannel`, '3')).toBe(`ERROR: resource locked by ${PEER}`);
        expect(await cfg('get', `/tuner${t}/lockkey`)).toBe(PEER);
        expect(await cfg('get', `/tuner${t}/status`)).toMatch(/^ch=auto:\d+ lock=qam256 ss=100/);
      }
      const r = await runUntil(['save', '/tuner0', path.join(tmp, 'busy.ts')], 5000);
      expect(r.stderr).toContain('unable to start stream');
    } finally {
      for (const req of held) req.destroy();
    }
    await waitIdle();
  });

  it('publishes the channel map over HTTP', async () => {
    const res = await fetch(`http://${LAN}:${HTTP_PORT}${CHANNEL_MAP_PATH}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      channelMap: string;
      muxes: { programs: { guideNumber: string }[] }[];
    };
    expect(body.channelMap).toBe('us-cable');
    expect(body.muxes.flatMap((m) => m.programs.map((p) => p.guideNumber)).sort()).toEqual(
      lineup
        .channels()
        .map((c) => c.guideNumber)
        .sort(),
    );
  });
});
