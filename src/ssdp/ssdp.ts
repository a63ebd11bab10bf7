// SSDP advertiser for the UPnP MediaServer:1 description (reference §7). A small dgram responder
// instead of node-ssdp, because node-ssdp sends every message through every interface socket
// (clients get LOCATIONs of docker0/VPN addresses), never sets the multicast egress interface
// (NOTIFYs for interface B leave through the default route with B's address), throws from
// start() when no interface exists, and can crash the process from a 'listening' handler.
//
// Sockets: one bound to 0.0.0.0:1900 joins the group on each advertised interface and receives
// multicast M-SEARCHes; one per advertised address, bound to <address>:1900, sends that
// interface's NOTIFYs and search responses (so source address and LOCATION agree) and receives
// unicast M-SEARCHes. The interface list is re-read every adInterval, so addresses that appear
// later (DHCP, container networking) get advertised without a restart.
import dgram from 'node:dgram';
import os from 'node:os';
import type { Logger } from '../log.js';
import { definedOnly } from '../hdhr/options.js';
import { advertisedAddresses, chooseBaseHost, type InterfaceMap } from '../hdhr/interfaces.js';
import {
  type Advertisement,
  advertisementsFor,
  buildNotifyAlive,
  buildNotifyByebye,
  buildSearchResponse,
  checkSearch,
  type CommonFields,
  matchSearch,
  parseSsdp,
  SSDP_GROUP,
  SSDP_PORT,
} from './messages.js';

export interface SsdpAdvertiserOptions {
  /** Device UUID without `uuid:`. */
  uuid: string;
  /** Port of the HTTP server that serves `locationPath`. */
  httpPort: number;
  /** Default '/device.xml'. */
  locationPath?: string;
  /** Interface names or IPv4 addresses; empty = every non-loopback interface. */
  interfaces?: string[];
  /** Re-advertise period in ms; default 30 000 (max-age is 1800 s). */
  adInterval?: number;
  /** CACHE-CONTROL max-age in seconds; default 1800. */
  maxAge?: number;
  /** SERVER header; must keep "HDHomeRun" in it, some clients look for it. */
  server?: string;
  logger: Logger;
  networkInterfaces?: () => InterfaceMap;
  /** Listening port; default 1900 (0 = ephemeral, tests). */
  port?: number;
  /** Where NOTIFYs go; default 239.255.255.250:1900. A unicast target disables multicast (tests). */
  notifyTarget?: { address: string; port: number };
}

export interface SsdpStats {
  searches: number;
  responses: number;
  notifies: number;
  /** Datagrams that were not a usable M-SEARCH (NOTIFYs of other devices, responses, garbage). */
  ignored: number;
}

const DEFAULT_SERVER = `Node.js/${process.versions.node} UPnP/1.0 HDHomeRun/1.0`;

export class SsdpAdvertiser {
  readonly stats: SsdpStats = { searches: 0, responses: 0, notifies: 0, ignored: 0 };
  private main: dgram.Socket | undefined;
  private readonly senders = new Map<string, dgram.Socket>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private boundPort = 0;
  private noInterfaceLogged = false;
  private readonly o: Required<Omit<SsdpAdvertiserOptions, 'notifyTarget'>> & {
    notifyTarget: { address: string; port: number };
  };
  private readonly ads: Advertisement[];
  private readonly multicast: boolean;

  constructor(opts: SsdpAdvertiserOptions) {
    this.o = {
      locationPath: '/device.xml',
      interfaces: [],
      adInterval: 30_000,
      maxAge: 1800,
      server: DEFAULT_SERVER,
      networkInterfaces: os.networkInterfaces,
      port: SSDP_PORT,
      notifyTarget: { address: SSDP_GROUP, port: SSDP_PORT },
      ...definedOnly(opts),
    };
    this.ads = advertisementsFor(opts.uuid);
    this.multicast = this.o.notifyTarget.address === SSDP_GROUP;
  }

  /** Listening port (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Addresses currently advertised. */
  get addresses(): string[] {
    return [...this.senders.keys()];
  }

  /** Never throws for network reasons: problems are logged and retried every adInterval. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { logger, port } = this.o;
    try {
      this.main = await bindUdp('0.0.0.0', port);
      this.main.on('message', (msg, rinfo) => this.onMessage(msg, rinfo, undefined));
      this.boundPort = this.main.address().port;
    } catch (err) {
      // Searches will not be seen, but NOTIFYs still announce us.
      logger.warn({ port, err: (err as Error).message }, 'SSDP: cannot listen for M-SEARCH');
      this.boundPort = port;
    }
    await this.refresh();
    this.timer = setInterval(() => void this.tick(), this.o.adInterval);
    this.timer.unref();
    logger.info({ addresses: this.addresses, port: this.boundPort }, 'SSDP advertiser started');
  }

  /** Say byebye on every interface, then close. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    const sends: Promise<void>[] = [];
    for (const sock of this.senders.values()) {
      for (const ad of this.ads)
        sends.push(this.sendTo(sock, buildNotifyByebye(ad, this.hostHeader()), this.o.notifyTarget));
    }
    await Promise.all(sends);
    for (const addr of [...this.senders.keys()]) this.removeAddress(addr);
    this.main?.close();
    this.main = undefined;
  }

  private async tick(): Promise<void> {
    await this.refresh();
    this.advertise([...this.senders.keys()]);
  }

  /** Follow interface changes: open sockets for new addresses (and announce them), drop vanished ones. */
  private async refresh(): Promise<void> {
    const { logger } = this.o;
    const wanted = advertisedAddresses(this.o.networkInterfaces(), this.o.interfaces).map((a) => a.address);
    for (const addr of [...this.senders.keys()]) if (!wanted.includes(addr)) this.removeAddress(addr);
    const added: string[] = [];
    for (const addr of wanted) {
      if (this.senders.has(addr) || !this.running) continue;
      try {
        const sock = await bindUdp(addr, this.boundPort);
        if (!this.running) {
          sock.close(); // stopped while binding
          return;
        }
        sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo, addr));
        if (this.multicast) {
          sock.setMulticastInterface(addr);
          sock.setMulticastTTL(2); // UDA 1.1 recommends 2
          this.main?.addMembership(SSDP_GROUP, addr);
        }
        this.senders.set(addr, sock);
        added.push(addr);
      } catch (err) {
        logger.warn({ address: addr, err: (err as Error).message }, 'SSDP: cannot advertise on this address');
      }
    }
    if (this.senders.size === 0 && !this.noInterfaceLogged) {
      logger.warn(
        { interfaces: this.o.interfaces },
        'SSDP: no usable IPv4 interface to advertise on; will retry (check the interfaces setting)',
      );
    }
    this.noInterfaceLogged = this.senders.size === 0;
    if (added.length) this.advertise(added);
  }

  private removeAddress(addr: string): void {
    const sock = this.senders.get(addr);
    this.senders.delete(addr);
    sock?.close();
    if (this.multicast) {
      try {
        this.main?.dropMembership(SSDP_GROUP, addr);
      } catch {
        // the address is already gone from the host
      }
    }
  }

  private fields(addr: string): CommonFields {
    return {
      location: `http://${addr}:${this.o.httpPort}${this.o.locationPath}`,
      server: this.o.server,
      maxAge: this.o.maxAge,
    };
  }

  private hostHeader(): string {
    return `${this.o.notifyTarget.address}:${this.o.notifyTarget.port}`;
  }

  private advertise(addrs: string[]): void {
    for (const addr of addrs) {
      const sock = this.senders.get(addr);
      if (!sock) continue;
      for (const ad of this.ads) {
        void this.sendTo(
          sock,
          buildNotifyAlive(ad, this.fields(addr), this.hostHeader()),
          this.o.notifyTarget,
        );
        this.stats.notifies++;
      }
    }
  }

  private sendTo(sock: dgram.Socket, buf: Buffer, to: { address: string; port: number }): Promise<void> {
    return new Promise((resolve) => {
      try {
        sock.send(buf, to.port, to.address, (err) => {
          if (err) this.o.logger.debug({ to: to.address, err: err.message }, 'SSDP: send failed');
          resolve();
        });
      } catch (err) {
        this.o.logger.debug({ err: (err as Error).message }, 'SSDP: send failed');
        resolve();
      }
    });
  }

  /** `local` is the address a unicast search was sent to, undefined for multicast. */
  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo, local: string | undefined): void {
    const parsed = parseSsdp(msg);
    const search = parsed && checkSearch(parsed, local === undefined);
    if (!search?.ok) {
      this.stats.ignored++;
      return;
    }
    this.stats.searches++;
    const matches = matchSearch(search.st, this.ads);
    if (matches.length === 0) return;
    // Answer from the interface facing the searcher; a search reaching us through an interface we
    // do not advertise on gets no answer.
    const addr = local ?? chooseBaseHost(rinfo.address, this.o.networkInterfaces(), this.addresses);
    const sock = addr === undefined ? undefined : this.senders.get(addr);
    if (!sock || !addr) {
      this.o.logger.debug({ from: rinfo.address }, 'SSDP: search from a non-advertised interface ignored');
      return;
    }
    // One device, a few small datagrams: answer at once rather than spreading over MX seconds.
    const date = new Date();
    for (const m of matches) {
      void this.sendTo(sock, buildSearchResponse(m, this.fields(addr), date), rinfo);
      this.stats.responses++;
    }
  }
}

function bindUdp(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    // SO_REUSEADDR: other SSDP stacks on the host (and our own per-address sockets) share port 1900.
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const onError = (err: Error): void => {
      sock.close();
      reject(err);
    };
    sock.once('error', onError);
    sock.bind(port, address, () => {
      sock.off('error', onError);
      sock.on('error', () => undefined); // ICMP errors on send; a responder must not die of them
      resolve(sock);
    });
  });
}
