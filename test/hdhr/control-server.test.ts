import net from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { systemVariables } from '../../src/hdhr/control.js';
import { ControlServer, type ControlServerOptions } from '../../src/hdhr/control-server.js';
import { encodeFrame, PacketType } from '../../src/hdhr/packet.js';
import { silentLogger } from '../../src/log.js';
import { V } from './vectors.js';

const vars = systemVariables({
  firmwareName: 'hdhomerun4_atsc',
  modelNumber: 'HDHR4-2US',
  firmwareVersion: '20200101',
  tunerCount: () => 2,
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function start(over: Partial<ControlServerOptions> = {}): Promise<ControlServer> {
  const server = new ControlServer({ port: 0, host: '127.0.0.1', vars, logger: silentLogger, ...over });
  await server.start();
  cleanups.push(() => server.stop());
  return server;
}

/** Connect, send `chunks` (with a short pause between them), collect bytes until the server closes or `ms` pass. */
async function exchange(
  port: number,
  chunks: Buffer[],
  ms = 1000,
): Promise<{ data: Buffer; closedByServer: boolean }> {
  const sock = net.connect(port, '127.0.0.1');
  cleanups.push(() => sock.destroy());
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const parts: Buffer[] = [];
  sock.on('data', (d: Buffer) => parts.push(d));
  const closed = new Promise<boolean>((r) => {
    sock.once('close', () => r(true));
    setTimeout(() => r(false), ms);
  });
  for (const c of chunks) {
    sock.write(c);
    await new Promise((r) => setTimeout(r, 20));
  }
  const closedByServer = await closed;
  return { data: Buffer.concat(parts), closedByServer };
}

describe('ControlServer on 127.0.0.1', () => {
  it('answers get /sys/model with the byte-exact reply and keeps the connection open', async () => {
    const server = await start();
    const { data, closedByServer } = await exchange(server.port, [V.getModel], 300);
    expect(data.toString('hex')).toBe(V.modelReply.toString('hex'));
    expect(closedByServer).toBe(false);
    expect(server.stats).toMatchObject({ connections: 1, requests: 1, badFrames: 0 });
  });

  it('answers pipelined and byte-split requests in order, one reply each', async () => {
    const server = await start();
    const two = Buffer.concat([V.getModel, V.getModel]);
    const split = [two.subarray(0, 3), two.subarray(3, 20), two.subarray(20)];
    const { data } = await exchange(server.port, split, 300);
    expect(data.toString('hex')).toBe(Buffer.concat([V.modelReply, V.modelReply]).toString('hex'));
  });

  it.each([
    ['a bad CRC', Buffer.from(V.getModel.map((b, i) => (i === V.getModel.length - 1 ? b ^ 0xff : b)))],
    ['an HTTP request', Buffer.from('GET /sys/model HTTP/1.1\r\n\r\n')],
    ['an upgrade request', encodeFrame(PacketType.UPGRADE_REQ, [])],
    ['a discovery frame', V.C],
  ])('closes the connection after %s, still delivering earlier replies', async (_n, bad) => {
    const server = await start();
    const { data, closedByServer } = await exchange(server.port, [V.getModel, bad]);
    expect(closedByServer).toBe(true);
    expect(data.toString('hex')).toBe(V.modelReply.toString('hex'));
    expect(server.stats.badFrames).toBe(1);
  });

  it('refuses clients from a non-allowed interface', async () => {
    const eth0: NetworkInterfaceInfo = {
      address: '192.0.2.10',
      netmask: '255.255.255.0',
      family: 'IPv4',
      mac: '00:00:00:00:00:00',
      internal: false,
      cidr: null,
    };
    const lo: NetworkInterfaceInfo = { ...eth0, address: '127.0.0.1', netmask: '255.0.0.0', internal: true };
    const server = await start({
      interfaces: ['eth0'],
      networkInterfaces: () => ({ lo: [lo], eth0: [eth0] }),
    });
    const { data, closedByServer } = await exchange(server.port, [V.getModel]);
    expect(closedByServer).toBe(true);
    expect(data.length).toBe(0);
    expect(server.stats.refused).toBe(1);
  });

  it('closes idle connections', async () => {
    const server = await start({ idleTimeoutMs: 100 });
    const { closedByServer } = await exchange(server.port, [], 1000);
    expect(closedByServer).toBe(true);
  });

  it('reports a clear error when the port is taken', async () => {
    const first = await start();
    const second = new ControlServer({ port: first.port, host: '127.0.0.1', vars, logger: silentLogger });
    await expect(second.start()).rejects.toThrow(/cannot listen for HDHomeRun control on 127\.0\.0\.1:\d+/);
  });
});
