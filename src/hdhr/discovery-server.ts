// UDP 65001 discovery responder. Protocol logic lives in discover.ts / interfaces.ts; this module
// owns the sockets.
//
// Sockets: one bound to bindAddress:port receives broadcasts (Linux delivers 255.255.255.255 only
// to wildcard-bound sockets). One more per allowed local address, bound to that address and the
// same port, is used to *send* each reply, because libhdhomerun takes the device IP from the
// reply's source address and the kernel's own choice can be another local address. Sharing the
// port needs SO_REUSEADDR on all of them.
import dgram from 'node:dgram';
import os from 'node:os';
import type { Logger } from '../log.js';
import { definedOnly } from './options.js';
import { parseDeviceId } from './device-id.js';
import { buildDiscoverReply, oversizedReplyFields, parseDiscoverRequest, shouldAnswer } from './discover.js';
import { chooseBaseHost, type InterfaceMap, isAllowed, localIpv4 } from './interfaces.js';
import { decodeFrame } from './packet.js';

export { chooseBaseHost } from './interfaces.js';

export const DISCOVERY_PORT = 65001;

export interface DiscoveryServerOptions {
  /** Default 65001; 0 picks an ephemeral port (tests). */
  port?: number;
  /** Default '0.0.0.0'. Any other address stops broadcasts from arriving. */
  bindAddress?: string;
  /** Interface names or IPv4 addresses to answer on; empty = all. */
  interfaces?: string[];
  /** Host for the BaseURL when the requester is not on a local subnet. */
  advertiseAddress?: string;
  /** Port of the HTTP API, put in BaseURL/LineupURL. */
  httpPort: number;
  /** Read at every request, so tuner count and identity changes apply at once. */
  info: () => { deviceId: string; deviceAuth: string; tunerCount: number };
  logger: Logger;
  networkInterfaces?: () => InterfaceMap;
}

export interface DiscoveryStats {
  /** Datagrams received. */
  requests: number;
  replies: number;
  /** Undecodable datagrams (bad length, CRC, TLV). */
  malformed: number;
  /** Valid frames we did not answer (other packet type, other device, other type, not-allowed interface). */
  ignored: number;
}

export class DiscoveryServer {
  readonly stats: DiscoveryStats = { requests: 0, replies: 0, malformed: 0, ignored: 0 };
  private main: dgram.Socket | undefined;
  /** Reply sockets by local address. */
  private readonly senders = new Map<string, dgram.Socket>();
  private readonly warned = new Set<string>();
  private readonly opts: Required<Omit<DiscoveryServerOptions, 'advertiseAddress'>> &
    Pick<DiscoveryServerOptions, 'advertiseAddress'>;

  constructor(opts: DiscoveryServerOptions) {
    this.opts = {
      port: DISCOVERY_PORT,
      bindAddress: '0.0.0.0',
      interfaces: [],
      networkInterfaces: os.networkInterfaces,
      ...definedOnly(opts),
    };
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.main?.address().port ?? 0;
  }

  async start(): Promise<void> {
    if (this.main) return;
    const { bindAddress, port, logger } = this.opts;
    const wildcard = bindAddress === '0.0.0.0';
    const main = await this.bind(bindAddress, port, wildcard);
    this.main = main;
    const bound = main.address().port;
    if (wildcard) {
      main.setBroadcast(true);
      for (const a of localIpv4(this.opts.networkInterfaces())) {
        if (!isAllowed(a, this.opts.interfaces) || this.senders.has(a.address)) continue;
        try {
          this.senders.set(a.address, await this.bind(a.address, bound, true));
        } catch (err) {
          // e.g. an address that vanished; replies then leave through the main socket.
          logger.debug({ address: a.address, err: (err as Error).message }, 'discovery: no reply socket');
        }
      }
    }
    logger.info(
      { port: bound, bindAddress, interfaces: this.opts.interfaces },
      'HDHomeRun discovery listening',
    );
  }

  stop(): void {
    for (const s of [this.main, ...this.senders.values()]) s?.close();
    this.main = undefined;
    this.senders.clear();
  }

  private bind(address: string, port: number, reuseAddr: boolean): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type: 'udp4', reuseAddr });
      const onError = (err: Error): void => {
        sock.close();
        reject(new Error(`cannot listen for HDHomeRun discovery on ${address}:${port}: ${err.message}`));
      };
      sock.once('error', onError);
      sock.bind({ address, port, exclusive: true }, () => {
        sock.off('error', onError);
        sock.on('error', (err) => this.opts.logger.warn({ err: err.message }, 'discovery socket error'));
        sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
        resolve(sock);
      });
    });
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const { logger } = this.opts;
    this.stats.requests++;
    const frame = decodeFrame(msg);
    if (!frame.ok) {
      this.stats.malformed++;
      logger.debug(
        { from: rinfo.address, bytes: msg.length, reason: frame.reason },
        'discovery: malformed packet',
      );
      return;
    }
    const info = this.opts.info();
    const ourId = parseDeviceId(info.deviceId);
    const req = parseDiscoverRequest(frame);
    if (!req || ourId === undefined || !shouldAnswer(req, ourId)) {
      this.stats.ignored++;
      return;
    }
    const host = chooseBaseHost(
      rinfo.address,
      this.opts.networkInterfaces(),
      this.opts.interfaces,
      this.opts.advertiseAddress,
    );
    if (!host) {
      this.stats.ignored++;
      logger.debug({ from: rinfo.address }, 'discovery: request from a non-allowed interface ignored');
      return;
    }
    const baseUrl = `http://${host}:${this.opts.httpPort}`;
    const reply = { ...info, baseUrl, lineupUrl: `${baseUrl}/lineup.json` };
    for (const problem of oversizedReplyFields(reply)) {
      if (this.warned.has(problem)) continue;
      this.warned.add(problem);
      logger.warn({ baseUrl }, `discovery: ${problem}; older libhdhomerun clients will not see it`);
    }
    let packet: Buffer;
    try {
      packet = buildDiscoverReply(reply);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'discovery: cannot build reply');
      return;
    }
    const sock = this.senders.get(host) ?? this.main;
    sock?.send(packet, rinfo.port, rinfo.address, (err) => {
      if (err) logger.debug({ to: rinfo.address, err: err.message }, 'discovery: reply not sent');
    });
    this.stats.replies++;
  }
}
