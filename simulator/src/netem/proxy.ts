/**
 * A TCP proxy standing in for a bad network between two real parts (devices and their MQTT broker).
 * Modes, switchable at run time:
 *   pass   forward bytes both ways;
 *   drop   refuse traffic: new connections are reset at once and existing ones are destroyed;
 *   stall  accept and hold connections but forward nothing (no FIN, no RST), the way a dead Wi-Fi
 *          link behaves: reading stops, so bytes wait in the kernel buffers as TCP retransmits would
 *          hold them, and a connection accepted meanwhile reaches the target only once healed.
 * cut() destroys every existing connection once without changing the mode (a broken link that the
 * client can reconnect through).
 * Obligations: start() resolves once listening (port 0 = a free port); stop() closes the listener and
 * every connection and may be called twice.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type NetemMode = 'pass' | 'drop' | 'stall';

export interface NetemOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
}

export interface NetemStats {
  accepted: number;
  refused: number;
  cut: number;
  bytesUp: number;
  bytesDown: number;
}

interface Pair {
  readonly client: Socket;
  upstream: Socket | null;
}

export class NetemProxy {
  private server: Server | null = null;
  private current: NetemMode = 'pass';
  private readonly pairs = new Set<Pair>();
  private boundPort = 0;
  readonly stats: NetemStats = { accepted: 0, refused: 0, cut: 0, bytesUp: 0, bytesDown: 0 };

  constructor(private readonly o: NetemOptions) {}

  get mode(): NetemMode {
    return this.current;
  }

  get port(): number {
    if (!this.server) throw new Error('netem proxy is not started');
    return this.boundPort;
  }

  /** Connections currently held open (forwarding or stalled). */
  get connections(): number {
    return this.pairs.size;
  }

  async start(): Promise<void> {
    if (this.server) throw new Error('netem proxy already started');
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address();
    this.boundPort = typeof a === 'object' && a ? a.port : 0;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.cut();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Switches the mode; `drop` also destroys what is open, `pass` resumes stalled connections. */
  setMode(mode: NetemMode): void {
    this.current = mode;
    if (mode === 'drop') this.cut();
    for (const p of this.pairs) {
      if (mode === 'stall') {
        p.client.pause();
        p.upstream?.pause();
      } else if (mode === 'pass') {
        if (!p.upstream) this.connectUpstream(p);
        p.client.resume();
        p.upstream?.resume();
      }
    }
  }

  /** Destroys every open connection (both sides) once. */
  cut(): void {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream?.destroy();
      this.stats.cut++;
    }
    this.pairs.clear();
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.current === 'drop') {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted++;
    client.setNoDelay(true);
    const pair: Pair = { client, upstream: null };
    this.pairs.add(pair);
    client.on('close', () => this.close(pair));
    client.on('data', (b: Buffer) => {
      this.stats.bytesUp += b.length;
      pair.upstream?.write(b);
    });
    if (this.current === 'stall') client.pause();
    else this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    const upstream = createConnection({ host: this.o.targetHost, port: this.o.targetPort });
    upstream.setNoDelay(true);
    upstream.on('error', () => undefined);
    upstream.on('close', () => this.close(pair));
    upstream.on('data', (b: Buffer) => {
      this.stats.bytesDown += b.length;
      pair.client.write(b);
    });
    pair.upstream = upstream;
  }

  private close(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
