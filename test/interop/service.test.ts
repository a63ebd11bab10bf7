// The whole service as a user runs it, seen by real clients inside the private network namespace:
// libhdhomerun finds it (broadcast and unicast) with the right ID and tuner count, a GSSDP/GUPnP control
// point reads its device.xml, Jellyfin's port-80 path answers, and Debian's ffprobe decodes a demo channel.
//   ../shared/tools/netns-run npx vitest run --config vitest.interop.config.ts test/interop/service.test.ts
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/app.js';
import { decodeFrame, encodeFrame, findTlv, PacketType, Tag, u32Tlv } from '../../src/hdhr/packet.js';
import { LAN, PEER, repoRoot, requireNetns, requireProgram, runProgram } from './helpers/env.js';

let svc: Service;
let dir: string;
let hdhr: string;
let ffprobe: string;
let python: string;

beforeAll(async () => {
  requireNetns();
  hdhr = requireProgram('hdhomerun_config');
  ffprobe = requireProgram('/usr/bin/ffprobe');
  python = requireProgram('/usr/bin/python3');
  dir = await mkdtemp(path.join(os.tmpdir(), 'tb-interop-svc-'));
  svc = await startService({
    argv: [
      '--data-dir',
      path.join(dir, 'data'),
      '--tuners-dir',
      path.join(dir, 'tuners'),
      '--epg-dir',
      path.join(dir, 'epg'),
      '--interfaces',
      'tb0,lo',
      '--device-friendly-name',
      'Interop Tuner',
    ],
    env: {},
    logDestination: null,
  });
});
afterAll(async () => {
  await svc?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the running service on a (private) LAN', () => {
  it('is found by hdhomerun_config discover, broadcast and unicast', async () => {
    const id = svc.device().deviceId;
    const b = await runProgram(hdhr, ['discover'], { timeoutMs: 15_000 });
    expect(b.stdout).toContain(`hdhomerun device ${id} found at ${LAN}`);
    const u = await runProgram(hdhr, ['discover', '127.0.0.1'], { timeoutMs: 15_000 });
    expect(u.stdout.trim()).toBe(`hdhomerun device ${id} found at 127.0.0.1`);
    const m = await runProgram(hdhr, [id, 'get', '/sys/model'], { timeoutMs: 15_000 });
    expect(m.stdout.trim()).toBe('hdhomerun4_atsc');
  });

  it('advertises the lineup tuner count and a BaseURL on the interface the request came in on', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, PEER, r));
    sock.setBroadcast(true);
    const reply = new Promise<Buffer>((resolve) => sock.once('message', resolve));
    sock.send(encodeFrame(PacketType.DISCOVER_REQ, [u32Tlv(Tag.DEVICE_TYPE, 1)]), 65001, '255.255.255.255');
    const frame = decodeFrame(await reply);
    sock.close();
    if (!frame.ok) throw new Error(frame.reason);
    expect(findTlv(frame.tlvs, Tag.TUNER_COUNT)?.[0]).toBe(svc.lineup.tunerCount());
    expect(findTlv(frame.tlvs, Tag.BASE_URL)?.toString()).toBe(`http://${LAN}:5004`);
    const discover = (await (await fetch(`http://${LAN}:5004/discover.json`)).json()) as Record<
      string,
      unknown
    >;
    expect(discover.TunerCount).toBe(svc.lineup.tunerCount());
    expect(discover.BaseURL).toBe(`http://${LAN}:5004`);
  });

  it('answers Jellyfin/Emby auto-detect on port 80', async () => {
    const d = (await (await fetch(`http://${LAN}/discover.json`)).json()) as Record<string, unknown>;
    expect(d.DeviceID).toBe(svc.device().deviceId);
    expect(d.LineupURL).toBe(`http://${LAN}:5004/lineup.json`);
  });

  it('is found over SSDP by a GSSDP/GUPnP control point that reads device.xml', async () => {
    const script = path.join(repoRoot(), 'test/interop/helpers/gupnp_find.py');
    const r = await runProgram(python, [script, 'tb1', 'urn:schemas-upnp-org:device:MediaServer:1', '15'], {
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const found = JSON.parse(r.stdout) as Record<string, string>;
    expect(found.friendlyName).toBe('Interop Tuner');
    expect(found.udn).toBe(`uuid:${svc.device().uuid}`);
    expect(found.modelNumber).toBe('HDHR4-2US');
    expect(found.location).toBe(`http://${LAN}:5004/device.xml`);
  });

  it('plays a demo channel that ffprobe decodes as h264 + aac', async () => {
    const lineup = (await (await fetch(`http://${LAN}:5004/lineup.json`)).json()) as { URL: string }[];
    const r = await runProgram(
      ffprobe,
      ['-v', 'error', '-show_entries', 'stream=codec_name,codec_type', '-of', 'json', lineup[0]!.URL],
      { timeoutMs: 30_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const streams = (JSON.parse(r.stdout) as { streams: { codec_name: string; codec_type: string }[] })
      .streams;
    expect(streams).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ codec_type: 'video', codec_name: 'h264' }),
        expect.objectContaining({ codec_type: 'audio', codec_name: 'aac' }),
      ]),
    );
    expect(streams).toHaveLength(2);
  });
});
