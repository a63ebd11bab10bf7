// TCP 65001 control server: frames in, one reply frame per GETSET_REQ out. A bad frame or any
// other packet type (firmware upgrade) closes the connection, as libhdhomerun does on its side.
import net from 'node:net';
import os from 'node:os';
import type { Logger } from '../log.js';
import { definedOnly } from './options.js';
import { handleGetSet, type VariableProvider } from './control.js';
import { chooseBaseHost, type InterfaceMap } from './interfaces.js';
import { FrameReader, PacketType } from './packet.js';

export interface ControlServerOptions {
  /** Default 65001; 0 = ephemeral (tests). */
  port?: number;
  /** Default '0.0.0.0'. */
  host?: string;
  /** Interface names or IPv4 addresses whose clients are served; empty = all. */
  interfaces?: string[];
  vars: VariableProvider;
  logger: Logger;
  /** Connections idle this long are closed; default 60 000 ms (TVHeadend polls every second). */
  idleTimeoutMs?: number;
  /** Default 32. */
  maxConnections?: number;
  networkInterfaces?: () => InterfaceMap;
}

export interface ControlStats {
  connections: number;
  requests: number;
  /** Connections closed for a malformed frame or an unsupported packet type. */
  badFrames: number;
  /** Connections refused because they came from a non-allowed interface. */
  refused: number;
}

export class ControlServer {
  readonly stats: ControlStats = { connections: 0, requests: 0, badFrames: 0, refused: 0 };
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly o: Required<ControlServerOptions>;

  constructor(opts: ControlServerOptions) {
    this.o = {
      port: 65001,
      host: '0.0.0.0',
      interfaces: [],
      idleTimeoutMs: 60_000,
      maxConnections: 32,
      networkInterfaces: os.networkInterfaces,
      ...definedOnly(opts),
    };
    this.server = net.createServer((s) => this.onConnection(s));
    this.server.maxConnections = this.o.maxConnections;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(
          new Error(`cannot listen for HDHomeRun control on ${this.o.host}:${this.o.port}: ${err.message}`),
        );
      this.server.once('error', onError);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', onError);
        this.o.logger.info({ port: this.port }, 'HDHomeRun control listening');
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private onConnection(sock: net.Socket): void {
    const { logger } = this.o;
    const peer = sock.remoteAddress ?? '';
    if (
      this.o.interfaces.length > 0 &&
      !chooseBaseHost(peer, this.o.networkInterfaces(), this.o.interfaces)
    ) {
      this.stats.refused++;
      sock.destroy();
      return;
    }
    this.stats.connections++;
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', (err) => logger.debug({ peer, err: err.message }, 'control: connection error'));
    sock.setNoDelay(true);
    sock.setTimeout(this.o.idleTimeoutMs, () => sock.destroy());
    const reader = new FrameReader();
    let closing = false;
    const closeBad = (reason: string): void => {
      closing = true;
      this.stats.badFrames++;
      logger.debug({ peer, reason }, 'control: closing connection after a bad frame');
      sock.end(); // replies already written still reach the client
    };
    sock.on('data', (chunk: Buffer) => {
      if (closing) return;
      const { frames, error } = reader.push(chunk);
      for (const frame of frames) {
        if (frame.type !== PacketType.GETSET_REQ) return closeBad(`unsupported packet type ${frame.type}`);
        this.stats.requests++;
        sock.write(handleGetSet(frame, this.o.vars, peer.replace(/^::ffff:/i, '')));
      }
      if (error) closeBad(error);
    });
  }
}
