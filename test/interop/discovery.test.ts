// Interop: real libhdhomerun (hdhomerun_config) and a real GSSDP/GUPnP control point discover
// tunerbridge, and hdhomerun_config reads variables over the TCP control protocol. Run inside the private network namespace:
//   ../shared/tools/netns-run npx vitest run --config vitest.interop.config.ts test/interop/discovery.test.ts
import dgram from 'node:dgram';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDLE_TUNER_STATUS, systemVariables } from '../../src/hdhr/control.js';
import { ControlServer } from '../../src/hdhr/control-server.js';
import { DiscoveryServer } from '../../src/hdhr/discovery-server.js';
import { decodeFrame, findTlv, Tag } from '../../src/hdhr/packet.js';
import { uuidForDeviceId } from '../../src/identity/uuid.js';
import { silentLogger } from '../../src/log.js';
import type { DeviceInfo } from '../../src/model.js';
import { renderDeviceXml } from '../../src/ssdp/device-xml.js';
import { SsdpAdvertiser } from '../../src/ssdp/ssdp.js';
import { V } from '../hdhr/vectors.js';
import { LAN, PEER, repoRoot, requireNetns, requireProgram, runProgram } from './helpers/env.js';

const HTTP_PORT = 5004;
const TUNERS = 3;
const info: DeviceInfo = {
  deviceId: '1053C0CA',
  uuid: uuidForDeviceId('1053C0CA'),
  deviceAuth: 'interop-auth',
  friendlyName: 'tunerbridge interop',
  modelNumber: 'HDHR4-2US',
  firmwareName: 'hdhomerun4_atsc',
  firmwareVersion: '20200101',
};

let hdhr: string;
let python: string;
let http: Server;
let discovery: DiscoveryServer;
let ssdp: SsdpAdvertiser;
let control: ControlServer;

beforeAll(async () => {
  requireNetns();
  hdhr = requireProgram('hdhomerun_config');
  python = requireProgram('/usr/bin/python3');

  const app = express();
  const base = `http://${LAN}:${HTTP_PORT}`;
  app.get('/device.xml', (_req, res) => {
    res.type('application/xml').send(renderDeviceXml(info, base));
  });
  app.get('/discover.json', (_req, res) => {
    res.json({
      FriendlyName: info.friendlyName,
      ModelNumber: info.modelNumber,
      FirmwareName: info.firmwareName,
      FirmwareVersion: info.firmwareVersion,
      DeviceID: info.deviceId,
      DeviceAuth: info.deviceAuth,
      BaseURL: base,
      LineupURL: `${base}/lineup.json`,
      TunerCount: TUNERS,
    });
  });
  http = await new Promise<Server>((resolve) => {
    const s = app.listen(HTTP_PORT, LAN, () => resolve(s));
  });

  discovery = new DiscoveryServer({
    interfaces: [LAN, 'lo'],
    httpPort: HTTP_PORT,
    info: () => ({ deviceId: info.deviceId, deviceAuth: info.deviceAuth, tunerCount: TUNERS }),
    logger: silentLogger,
  });
  await discovery.start();
  control = new ControlServer({
    interfaces: [LAN, 'lo'],
    vars: systemVariables({ ...info, tunerCount: () => TUNERS }),
    logger: silentLogger,
  });
  await control.start();
  ssdp = new SsdpAdvertiser({
    uuid: info.uuid,
    httpPort: HTTP_PORT,
    interfaces: ['tb0'],
    logger: silentLogger,
  });
  await ssdp.start();
  expect(ssdp.addresses).toEqual([LAN]);
});

afterAll(async () => {
  await ssdp?.stop();
  discovery?.stop();
  await control?.stop();
  await new Promise((r) => (http ? http.close(r) : r(undefined)));
});

describe('UDP 65001 discovery with real libhdhomerun', () => {
  it('hdhomerun_config discover (broadcast) finds the device at the LAN address', async () => {
    const r = await runProgram(hdhr, ['discover'], { timeoutMs: 15_000 });
    expect(r.stdout).toContain(`hdhomerun device ${info.deviceId} found at ${LAN}`);
    expect(r.stdout).not.toMatch(/found at (?!198\.18\.0\.1\b)/);
  });

  it('hdhomerun_config discover 127.0.0.1 finds it on loopback', async () => {
    const r = await runProgram(hdhr, ['discover', '127.0.0.1'], { timeoutMs: 15_000 });
    expect(r.stdout.trim()).toBe(`hdhomerun device ${info.deviceId} found at 127.0.0.1`);
  });

  it('a broadcast request from the peer gets TUNER_COUNT and a BaseURL on the LAN address', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, PEER, r));
    sock.setBroadcast(true);
    try {
      const reply = new Promise<{ msg: Buffer; from: dgram.RemoteInfo }>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no discovery reply')), 3000);
        sock.once('message', (msg, from) => {
          clearTimeout(t);
          resolve({ msg, from });
        });
      });
      sock.send(V.B, 65001, '255.255.255.255');
      const { msg, from } = await reply;
      expect(from).toMatchObject({ address: LAN, port: 65001 });
      const f = decodeFrame(msg);
      expect(f.ok).toBe(true);
      if (!f.ok) return;
      expect(findTlv(f.tlvs, Tag.TUNER_COUNT)).toEqual(Buffer.of(TUNERS));
      expect(findTlv(f.tlvs, Tag.BASE_URL)?.toString()).toBe(`http://${LAN}:${HTTP_PORT}`);
      expect(findTlv(f.tlvs, Tag.DEVICE_ID)?.readUInt32BE(0)).toBe(0x1053c0ca);
    } finally {
      sock.close();
    }
  });
});

describe('SSDP with a real GSSDP/GUPnP control point', () => {
  it('finds the MediaServer:1 on tb0 and reads device.xml', async () => {
    const script = path.join(repoRoot(), 'test/interop/helpers/gupnp_find.py');
    const r = await runProgram(python, [script, 'tb0', 'urn:schemas-upnp-org:device:MediaServer:1', '10'], {
      timeoutMs: 20_000,
    });
    expect(r.code, `gupnp_find.py failed: ${r.stderr}`).toBe(0);
    const dev = JSON.parse(r.stdout) as Record<string, string>;
    expect(dev).toMatchObject({
      friendlyName: info.friendlyName,
      udn: `uuid:${info.uuid}`,
      modelNumber: info.modelNumber,
      manufacturer: 'Silicondust',
      location: `http://${LAN}:${HTTP_PORT}/device.xml`,
      deviceType: 'urn:schemas-upnp-org:device:MediaServer:1',
    });
  });
});

describe('TCP 65001 control protocol with real hdhomerun_config', () => {
  const get = async (target: string, name: string): Promise<string> => {
    const r = await runProgram(hdhr, [target, 'get', name], { timeoutMs: 15_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r.stdout.trim();
  };

  it('get /sys/model by DeviceID (discovery by ID, then TCP)', async () => {
    expect(await get(info.deviceId, '/sys/model')).toBe(info.firmwareName);
  });

  it('get help by DeviceID lists the supported variables', async () => {
    const help = await get(info.deviceId, 'help');
    expect(help.split('\n')[0]).toBe('Supported configuration options:');
    for (const v of ['/sys/model', '/sys/hwmodel', '/sys/version', '/tuner<n>/status'])
      expect(help).toContain(v);
  });

  it('get /sys/hwmodel, /sys/version and an idle tuner status by IP', async () => {
    expect(await get('127.0.0.1', '/sys/hwmodel')).toBe(info.modelNumber);
    expect(await get(LAN, '/sys/version')).toBe(info.firmwareVersion);
    expect(await get(LAN, '/tuner2/status')).toBe(IDLE_TUNER_STATUS);
  });

  it('prints the error for an unknown variable', async () => {
    const r = await runProgram(hdhr, [info.deviceId, 'get', '/tuner9/status'], { timeoutMs: 15_000 });
    expect(r.stdout + r.stderr).toContain('ERROR: unknown getset variable');
  });
});
