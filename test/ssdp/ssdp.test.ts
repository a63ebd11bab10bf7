// Runs on loopback only: NOTIFYs go to a unicast test listener (notifyTarget), never to the
// SSDP multicast group.
import dgram from 'node:dgram';
import type { NetworkInterfaceInfo } from 'node:os';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { parseSsdp, type SsdpMessage } from '../../src/ssdp/messages.js';
import { SsdpAdvertiser, type SsdpAdvertiserOptions } from '../../src/ssdp/ssdp.js';

const UUID = '7f1cb2d4-b3ee-5f79-ab79-ec7cf5abfc6f';
const lo = (address = '127.0.0.1'): NetworkInterfaceInfo => ({
  address,
  netmask: '255.0.0.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal: true,
  cidr: null,
});

interface Listener {
  port: number;
  send(text: string, port: number): void;
  take(n: number, timeoutMs?: number): Promise<{ msg: SsdpMessage; from: dgram.RemoteInfo }[]>;
  received: number;
  close(): void;
}

async function listener(): Promise<Listener> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const queue: { msg: SsdpMessage; from: dgram.RemoteInfo }[] = [];
  let received = 0;
  sock.on('message', (buf, from) => {
    received++;
    queue.push({ msg: parseSsdp(buf)!, from });
  });
  return {
    port: sock.address().port,
    send: (text, port) => sock.send(Buffer.from(text), port, '127.0.0.1'),
    async take(n, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length < n) {
        if (Date.now() > deadline) throw new Error(`got ${queue.length} of ${n} messages`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return queue.splice(0, n);
    },
    get received() {
      return received;
    },
    close: () => sock.close(),
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(over: Partial<SsdpAdvertiserOptions> = {}) {
  const l = await listener();
  const adv = new SsdpAdvertiser({
    uuid: UUID,
    httpPort: 5004,
    interfaces: ['lo'],
    port: 0,
    logger: silentLogger,
    networkInterfaces: () => ({ lo: [lo()] }),
    notifyTarget: { address: '127.0.0.1', port: l.port },
    ...over,
  });
  cleanups.push(
    () => l.close(),
    () => adv.stop(),
  );
  await adv.start();
  return { l, adv };
}

const search = (st: string, extra = '') =>
  `M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ${st}\r\n${extra}\r\n`;

describe('SsdpAdvertiser (loopback)', () => {
  it('announces root device, UDN and MediaServer:1 with a per-interface LOCATION', async () => {
    const { l } = await setup();
    const notes = await l.take(3);
    expect(notes.map((n) => n.msg.headers.NT)).toEqual([
      'upnp:rootdevice',
      `uuid:${UUID}`,
      'urn:schemas-upnp-org:device:MediaServer:1',
    ]);
    for (const { msg } of notes) {
      expect(msg.method).toBe('NOTIFY');
      expect(msg.headers.NTS).toBe('ssdp:alive');
      expect(msg.headers.LOCATION).toBe('http://127.0.0.1:5004/device.xml');
      expect(msg.headers['CACHE-CONTROL']).toBe('max-age=1800');
      expect(msg.headers.SERVER).toContain('HDHomeRun');
      expect(msg.headers.USN!.startsWith(`uuid:${UUID}`)).toBe(true);
    }
  });

  it('answers M-SEARCH for ssdp:all (3 responses) and MediaServer:1 (1), from its own port', async () => {
    const { l, adv } = await setup();
    await l.take(3);
    l.send(search('ssdp:all'), adv.port);
    const all = await l.take(3);
    expect(all.map((r) => r.msg.headers.ST)).toEqual([
      'upnp:rootdevice',
      `uuid:${UUID}`,
      'urn:schemas-upnp-org:device:MediaServer:1',
    ]);
    for (const r of all) {
      expect(r.msg.method).toBe('RESPONSE');
      expect(r.from.port).toBe(adv.port);
      expect(r.msg.headers.LOCATION).toBe('http://127.0.0.1:5004/device.xml');
      expect(r.msg.headers.EXT).toBe('');
    }
    l.send(search('urn:schemas-upnp-org:device:MediaServer:1'), adv.port);
    const [one] = await l.take(1);
    expect(one!.msg.headers.USN).toBe(`uuid:${UUID}::urn:schemas-upnp-org:device:MediaServer:1`);
  });

  it('ignores garbage, foreign types and malformed searches, and keeps answering', async () => {
    const { l, adv } = await setup();
    await l.take(3);
    l.send('garbage', adv.port);
    l.send('M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n', adv.port); // no MAN
    l.send(search('urn:schemas-upnp-org:device:MediaRenderer:1'), adv.port);
    l.send(search('upnp:rootdevice'), adv.port);
    const [r] = await l.take(1);
    expect(r!.msg.headers.ST).toBe('upnp:rootdevice');
    expect(adv.stats).toMatchObject({ searches: 2, responses: 1, ignored: 2 });
    await new Promise((res) => setTimeout(res, 100));
    expect(l.received).toBe(4);
  });

  it('says byebye for every advertisement on stop', async () => {
    const { l, adv } = await setup();
    await l.take(3);
    await adv.stop();
    const bye = await l.take(3);
    expect(bye.every((b) => b.msg.headers.NTS === 'ssdp:byebye' && !b.msg.headers.LOCATION)).toBe(true);
  });

  it('starts without any usable interface, warns, and advertises once one appears', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(c: Buffer, _e, cb) {
          lines.push(c.toString());
          cb();
        },
      }),
    );
    let map: Record<string, NetworkInterfaceInfo[]> = {};
    const { l, adv } = await setup({ logger, adInterval: 50, networkInterfaces: () => map });
    expect(adv.addresses).toEqual([]);
    expect(lines.some((s) => s.includes('no usable IPv4 interface'))).toBe(true);
    map = { lo: [lo('127.0.0.1')] };
    const notes = await l.take(3);
    expect(notes[0]!.msg.headers.LOCATION).toBe('http://127.0.0.1:5004/device.xml');
    expect(adv.addresses).toEqual(['127.0.0.1']);
  });

  it('does not advertise on loopback unless it is named', async () => {
    const { l, adv } = await setup({ interfaces: [] });
    expect(adv.addresses).toEqual([]);
    await new Promise((res) => setTimeout(res, 100));
    expect(l.received).toBe(0);
  });
});
