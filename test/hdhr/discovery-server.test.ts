import dgram from 'node:dgram';
import type { NetworkInterfaceInfo } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { DiscoveryServer, type DiscoveryServerOptions } from '../../src/hdhr/discovery-server.js';
import { decodeFrame, encodeFrame, findTlv, PacketType, Tag, u32Tlv } from '../../src/hdhr/packet.js';
import { V } from './vectors.js';

const lo: NetworkInterfaceInfo = {
  address: '127.0.0.1',
  netmask: '255.0.0.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal: true,
  cidr: '127.0.0.1/8',
};
// A LAN address that does not exist on the test machine: binding a reply socket to it fails,
// which the server must survive.
const eth0: NetworkInterfaceInfo = {
  ...lo,
  address: '192.0.2.10',
  netmask: '255.255.255.0',
  internal: false,
};

interface Client {
  send(buf: Buffer): void;
  next(timeoutMs?: number): Promise<{ msg: Buffer; from: dgram.RemoteInfo }>;
  close(): void;
}

async function client(port: number): Promise<Client> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const queue: { msg: Buffer; from: dgram.RemoteInfo }[] = [];
  let waiter: (() => void) | undefined;
  sock.on('message', (msg, from) => {
    queue.push({ msg, from });
    waiter?.();
  });
  return {
    send: (buf) => sock.send(buf, port, '127.0.0.1'),
    async next(timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('no reply');
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          waiter = () => {
            clearTimeout(t);
            r();
          };
        });
      }
      return queue.shift()!;
    },
    close: () => sock.close(),
  };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function startServer(over: Partial<DiscoveryServerOptions> = {}) {
  let tunerCount = 2;
  const server = new DiscoveryServer({
    port: 0,
    httpPort: 5004,
    info: () => ({ deviceId: '1053C0CA', deviceAuth: 'auth-token', tunerCount }),
    logger: silentLogger,
    networkInterfaces: () => ({ lo: [lo], eth0: [eth0] }),
    ...over,
  });
  await server.start();
  const c = await client(server.port);
  cleanups.push(
    () => server.stop(),
    () => c.close(),
  );
  return { server, c, setTunerCount: (n: number) => (tunerCount = n) };
}

describe('DiscoveryServer on 127.0.0.1', () => {
  it('answers a modern hdhomerun_config request unicast, from the server port, with our identity', async () => {
    const { server, c } = await startServer();
    c.send(V.C);
    const { msg, from } = await c.next();
    expect(from.address).toBe('127.0.0.1');
    expect(from.port).toBe(server.port);
    const f = decodeFrame(msg);
    expect(f.ok && f.type).toBe(PacketType.DISCOVER_RPY);
    if (!f.ok) return;
    expect(findTlv(f.tlvs, Tag.DEVICE_ID)?.readUInt32BE(0)).toBe(0x1053c0ca);
    expect(findTlv(f.tlvs, Tag.TUNER_COUNT)).toEqual(Buffer.of(2));
    expect(findTlv(f.tlvs, Tag.BASE_URL)?.toString()).toBe('http://127.0.0.1:5004');
    expect(findTlv(f.tlvs, Tag.LINEUP_URL)?.toString()).toBe('http://127.0.0.1:5004/lineup.json');
    expect(findTlv(f.tlvs, Tag.DEVICE_AUTH_STR)?.toString()).toBe('auth-token');
    expect(server.stats).toEqual({ requests: 1, replies: 1, malformed: 0, ignored: 0 });
  });

  it('answers every request variant A–F and reads the tuner count live', async () => {
    const { c, setTunerCount } = await startServer();
    for (const [i, wire] of [V.A, V.B, V.C, V.D, V.E, V.F].entries()) {
      setTunerCount(i + 1);
      c.send(wire);
      const f = decodeFrame((await c.next()).msg);
      expect(f.ok && findTlv(f.tlvs, Tag.TUNER_COUNT)).toEqual(Buffer.of(i + 1));
    }
  });

  it('drops and counts malformed packets, ignores other devices, and keeps serving', async () => {
    const { server, c } = await startServer();
    const badCrc = Buffer.from(V.C);
    badCrc[badCrc.length - 1]! ^= 1;
    c.send(Buffer.alloc(0));
    c.send(Buffer.from('M-SEARCH * HTTP/1.1\r\n\r\n'));
    c.send(badCrc);
    c.send(V.C.subarray(0, 9));
    c.send(encodeFrame(PacketType.DISCOVER_REQ, [u32Tlv(Tag.DEVICE_ID, 0x12345674)]));
    c.send(V.G); // a reply is not a request
    c.send(V.A);
    const first = await c.next();
    expect(decodeFrame(first.msg).ok).toBe(true);
    expect(server.stats).toEqual({ requests: 7, replies: 1, malformed: 4, ignored: 2 });
    await expect(c.next(150)).rejects.toThrow('no reply');
  });

  it('ignores loopback requesters when loopback is not an allowed interface', async () => {
    const { server, c } = await startServer({ interfaces: ['eth0'] });
    c.send(V.C);
    await expect(c.next(200)).rejects.toThrow('no reply');
    expect(server.stats.ignored).toBe(1);
    expect(server.stats.replies).toBe(0);
  });

  it('fails to start with a clear error when the port is taken, and stops answering after stop()', async () => {
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((r) => blocker.bind(0, '0.0.0.0', r));
    cleanups.push(() => blocker.close());
    const taken = new DiscoveryServer({
      port: blocker.address().port,
      httpPort: 1,
      info: () => ({ deviceId: '1053C0CA', deviceAuth: '', tunerCount: 1 }),
      logger: silentLogger,
    });
    await expect(taken.start()).rejects.toThrow(/cannot listen for HDHomeRun discovery on 0\.0\.0\.0:\d+/);

    const { server, c } = await startServer();
    server.stop();
    c.send(V.C);
    await expect(c.next(150)).rejects.toThrow('no reply');
  });
});

describe('options', () => {
  it('an explicitly undefined option keeps its default', () => {
    const s = new DiscoveryServer({
      port: undefined,
      bindAddress: undefined,
      httpPort: 1,
      info: () => ({ deviceId: '1053C0CA', deviceAuth: '', tunerCount: 1 }),
      logger: silentLogger,
    });
    expect((s as unknown as { opts: { port: number; bindAddress: string } }).opts).toMatchObject({
      port: 65001,
      bindAddress: '0.0.0.0',
    });
  });
});
