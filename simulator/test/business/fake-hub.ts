/** A tiny hub stand-in for business simulator tests: lists windows and staff, records session requests. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SessionOpenRequest, validate } from '@hcp/protocol';

export interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: unknown;
}

export class FakeHub {
  server: Server | null = null;
  seen: Seen[] = [];
  windows: unknown = [
    { id: 'w-01', hallId: 'hall-1', name: '1号窗口', staffId: 'staff-001', deviceId: 'dev-0001' },
    { id: 'w-02', hallId: 'hall-1', name: '2号窗口', staffId: null, deviceId: 'dev-0002' },
    { id: 'w-03', hallId: 'hall-1', name: '3号窗口', staffId: null, deviceId: null },
  ];
  staff: unknown = [
    { id: 'staff-001', name: '王晓燕', active: true },
    { id: 'staff-002', name: '李强', active: true },
    { id: 'staff-003', name: '赵敏', active: false },
  ];
  /** When set, GET lists need this bearer token (the hub lets only reading roles list). */
  listToken: string | null = null;
  answer: (body: SessionOpenRequest) => [number, unknown] = () => [201, { id: `s-${this.seen.length}` }];

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const body: unknown = text ? JSON.parse(text) : undefined;
    this.seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
    const send = (status: number, json: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    if (req.method === 'GET' && this.listToken !== null && req.headers.authorization !== `Bearer ${this.listToken}`) {
      return send(403, { code: 'HCP_FORBIDDEN', message: 'your role may not do this' });
    }
    if (req.method === 'GET' && req.url === '/api/windows') return send(200, this.windows);
    if (req.method === 'GET' && req.url === '/api/staff') return send(200, this.staff);
    if (req.method === 'POST' && req.url === '/api/sessions') {
      const v = validate(SessionOpenRequest, body);
      if (!v.ok) return send(400, { code: 'HCP_VALIDATION', message: 'bad', detail: v.errors });
      const [status, json] = this.answer(v.value);
      return send(status, json);
    }
    send(404, { code: 'HCP_NOT_FOUND', message: 'no route' });
  }

  sessions(): SessionOpenRequest[] {
    return this.seen.filter((s) => s.method === 'POST').map((s) => s.body as SessionOpenRequest);
  }
}

