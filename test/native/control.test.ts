// Native tuner variables through the real TCP control server on 127.0.0.1: byte-exact frames,
// one reply per request, bad frames close the connection.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { crc32 as zlibCrc32 } from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainProviders, systemVariables } from '../../src/hdhr/control.js';
import { ControlServer } from '../../src/hdhr/control-server.js';
import { decodeFrame, encodeFrame, PacketType, stringTlv, Tag, tlvString } from '../../src/hdhr/packet.js';
import { silentLogger } from '../../src/log.js';
import { createNativeTuning, type NativeTuning } from '../../src/native/index.js';
import { CaptureOutput, channel, FakeLineup, FakeSessions } from './helpers.js';
import { NATIVE_VECTORS } from './vectors.js';

let dir: string;
let native: NativeTuning;
let server: ControlServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tb-native-ctl-'));
  const lineup = new FakeLineup([channel('alpha', '5.1', 'Alpha'), channel('beta', '7', 'Beta')]);
  native = await createNativeTuning({
    lineup,
    sessions: new FakeSessions(2),
    dataDir: dir,
    logger: silentLogger,
    createOutput: () => new CaptureOutput(),
  });
  const sys = systemVariables({
    firmwareName: 'hdhomerun4_atsc',
    modelNumber: 'HDHR4-2US',
    firmwareVersion: '20200101',
    tunerCount: () => lineup.tunerCount(),
  });
  server = new ControlServer({
    port: 0,
    host: '127.0.0.1',
    vars: chainProviders(native.variables, sys),
    logger: silentLogger,
  });
  await server.start();
});

afterAll(async () => {
  await server?.stop();
  await native?.close();
  await rm(dir, { recursive: true, force: true });
});

/** One connection: send each request, wait for exactly its reply bytes (or the close). */
class Client {
  private readonly sock: net.Socket;
  private buf = Buffer.alloc(0);
  closed = false;
  private wake: (() => void) | undefined;

  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** Send, then collect bytes until a whole frame (at least `n` bytes) arrived, the server closes, or 500 ms pass. */
  async send(req: Buffer, n = 1): Promise<Buffer> {
    this.sock.write(req);
    const deadline = Date.now() + 500;
    const complete = (): boolean =>
      this.buf.length >= Math.max(n, 8) && this.buf.length >= 8 + this.buf.readUInt16BE(2);
    while (!complete() && !this.closed && Date.now() < deadline) {
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    // Give a stray second frame the chance to show up.
    await new Promise((r) => setTimeout(r, 10));
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    return out;
  }

  end(): void {
    this.sock.destroy();
  }
}

/** A frame with a correct header and CRC around an arbitrary (possibly malformed) payload. */
function rawFrame(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(payload.length, 2);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(zlibCrc32(Buffer.concat([head, payload])));
  return Buffer.concat([head, payload, crc]);
}

const request = (name: string, value?: string): Buffer =>
  encodeFrame(PacketType.GETSET_REQ, [
    stringTlv(Tag.GETSET_NAME, name, true),
    ...(value === undefined ? [] : [stringTlv(Tag.GETSET_VALUE, value, true)]),
  ]);

function textOf(reply: Buffer): { name: string; value?: string; error?: string } {
  const f = decodeFrame(reply);
  if (!f.ok) throw new Error(f.reason);
  const [name, body] = f.tlvs;
  return {
    name: tlvString(name!.value),
    [body!.tag === Tag.GETSET_VALUE ? 'value' : 'error']: tlvString(body!.value),
  };
}

describe('native tuner variables over TCP 65001 framing', () => {
  it('answers every vector byte for byte, one reply frame per request', async () => {
    const c = new Client(server.port);
    try {
      for (const v of NATIVE_VECTORS) {
        const got = await c.send(v.request, v.reply.length);
        expect(got.toString('hex'), v.what).toBe(v.reply.toString('hex'));
      }
      expect(c.closed).toBe(false);
    } finally {
      c.end();
    }
  });

  it('debug and help are answered', async () => {
    const c = new Client(server.port);
    try {
      const debug = textOf(await c.send(request('/tuner0/debug')));
      expect(debug.value).toMatch(/^tun: ch=\S+ lock=\S+ ss=\d+ snq=\d+ seq=\d+ dbg=0\n/);
      const help = textOf(await c.send(request('help')));
      for (const line of [
        '/tuner<n>/channel <modulation>:<freq|ch>',
        '/tuner<n>/lockkey',
        '/lineup/scan',
        '/sys/model',
      ]) {
        expect(help.value).toContain(line);
      }
    } finally {
      c.end();
    }
  });

  it.each([
    [
      'a value TLV overrunning the payload',
      rawFrame(PacketType.GETSET_REQ, Buffer.from('03102f74756e6572302f00', 'hex')),
    ],
    [
      'a truncated lockkey frame with a bad CRC',
      Buffer.concat([request('/tuner0/lockkey', '1').subarray(0, -1), Buffer.of(0)]),
    ],
    ['an oversized length field', Buffer.from('00040fff0308', 'hex')],
  ])('closes the connection after %s, nothing else breaks', async (_what, bad) => {
    const c = new Client(server.port);
    try {
      const first = await c.send(request('/tuner1/channelmap'));
      expect(textOf(first)).toEqual({ name: '/tuner1/channelmap', value: 'us-cable' });
      let tail = await c.send(bad);
      for (let i = 0; i < 20 && !c.closed; i++) tail = Buffer.concat([tail, await c.send(Buffer.alloc(0))]);
      expect(c.closed).toBe(true);
      expect(tail).toHaveLength(0);
    } finally {
      c.end();
    }
    // A fresh connection still works.
    const d = new Client(server.port);
    try {
      expect(textOf(await d.send(request('/tuner1/status'))).value).toMatch(/^ch=/);
    } finally {
      d.end();
    }
  });

  it('a set with an absurdly long value gets an error reply, not a crash', async () => {
    const c = new Client(server.port);
    try {
      const r = textOf(await c.send(request('/tuner1/filter', '0x0001 '.repeat(180))));
      expect(r.name).toBe('/tuner1/filter');
      expect(r.value ?? r.error).toBeDefined();
      const bad = textOf(await c.send(request('/tuner1/channel', 'x'.repeat(1000))));
      expect(bad).toEqual({ name: '/tuner1/channel', error: 'ERROR: invalid channel' });
    } finally {
      c.end();
    }
  });
});
