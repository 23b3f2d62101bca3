/**
 * The kiosk screen: an HTTP server on 127.0.0.1 for Chromium in kiosk mode. It serves one Chinese
 * page, pushes every frame over Server-Sent Events (no polling), and takes taps on the page as
 * input (POST /api/input), which the runtime handles like any other input driver's presses.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Type } from '@sinclair/typebox';
import { HcpError, decodeJson } from '@hcp/protocol';
import type { InputEvent } from '../inputs/types.js';
import { claimQrText, qrSvg } from './qr.js';
import { KIOSK_PAGE } from './kiosk-page.js';
import type { Screen, ScreenFrame } from './view.js';

const Level = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4), Type.Literal(5)]);
export const TapBody = Type.Union([
  Type.Object({ kind: Type.Literal('star'), level: Level }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('reason'), codes: Type.Array(Type.String({ maxLength: 16 }), { minItems: 1, maxItems: 20 }) }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('staff') }, { additionalProperties: false }),
]);

/** The frame as sent to the page: the view plus a ready-made QR SVG where one is shown. */
export interface WireFrame extends ScreenFrame {
  readonly qrSvg: string | null;
}

export interface KioskOptions {
  readonly port: number;
  readonly log: Logger;
  /** A tap on the page; returns the frame after it was handled (the rating is committed by then). */
  readonly onTap: (e: InputEvent) => ScreenFrame;
}

export class KioskScreen implements Screen {
  private server: Server | null = null;
  private clients = new Set<ServerResponse>();
  private last: WireFrame | null = null;
  private chain: Promise<void> = Promise.resolve();
  private taps = 0;
  badRequests = 0;

  constructor(private readonly o: KioskOptions) {}

  get url(): string | null {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? `http://127.0.0.1:${a.port}` : null;
  }

  get tapCount(): number {
    return this.taps;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new HcpError('HCP_PORT_IN_USE', { port: this.o.port }, { cause: err }) : err));
      server.listen(this.o.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.o.log.info({ url: this.url }, 'kiosk screen listening');
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.end();
    this.clients.clear();
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  render(frame: ScreenFrame): void {
    // QR rendering is async; a chain keeps frames in order.
    this.chain = this.chain
      .then(async () => {
        const v = frame.view;
        const qrText = v.kind === 'unprovisioned' ? claimQrText(v.hubUrl, v.claimCode) : v.kind === 'prompt' ? v.rateUrl : null;
        const wire: WireFrame = { ...frame, qrSvg: qrText ? await qrSvg(qrText) : null };
        this.last = wire;
        const data = `event: frame\ndata: ${JSON.stringify(wire)}\n\n`;
        for (const c of this.clients) c.write(data);
      })
      .catch((err: unknown) => this.o.log.error({ err }, 'kiosk render failed'));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(KIOSK_PAGE);
      return;
    }
    if (req.method === 'GET' && path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      if (this.last) res.write(`event: frame\ndata: ${JSON.stringify(this.last)}\n\n`);
      this.clients.add(res);
      req.on('close', () => this.clients.delete(res));
      return;
    }
    if (req.method === 'GET' && path === '/api/frame') {
      return json(res, 200, this.last);
    }
    if (req.method === 'POST' && path === '/api/input') {
      let size = 0;
      const chunks: Buffer[] = [];
      let tooBig = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 4096) tooBig = true;
        else chunks.push(c);
      });
      req.on('end', () => {
        if (tooBig) {
          this.badRequests++;
          return json(res, 413, { code: 'HCP_PAYLOAD_TOO_LARGE' });
        }
        const r = decodeJson(TapBody, Buffer.concat(chunks));
        if (!r.ok) {
          this.badRequests++;
          return json(res, 400, { code: r.code, errors: r.errors });
        }
        this.taps++;
        try {
          const frame = this.o.onTap(r.value);
          json(res, 200, { ok: true, frame });
        } catch (err) {
          this.o.log.error({ err }, 'tap failed');
          json(res, 500, { code: 'HCP_INTERNAL' });
        }
      });
      return;
    }
    json(res, 404, { code: 'HCP_NOT_FOUND' });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
