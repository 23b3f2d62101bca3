import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NetemProxy } from '../../src/netem/proxy.js';

// A real echo server behind the proxy; every check waits on a socket event, never on a timing.
let echo: Server;
let echoPort: number;
let proxy: NetemProxy;
const sockets: Socket[] = [];

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
    sockets.push(s);
  });
}

/** Resolves with what the socket receives until `want` bytes arrived. */
function receive(s: Socket, want: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const on = (b: Buffer): void => {
      got += b.toString('utf8');
      if (got.length >= want) {
        s.off('data', on);
        resolve(got);
      }
    };
    s.on('data', on);
  });
}

const closed = (s: Socket): Promise<void> => new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

beforeEach(async () => {
  echo = createServer((s) => {
    s.on('error', () => undefined);
    s.on('data', (b: Buffer) => {
      s.write(b);
      if (b.toString('utf8') === 'bye') s.end();
    });
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoPort = (echo.address() as { port: number }).port;
  proxy = new NetemProxy({ targetHost: '127.0.0.1', targetPort: echoPort });
  await proxy.start();
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await proxy.stop();
  await new Promise<void>((r) => echo.close(() => r()));
});

describe('netem proxy', () => {
  it('pass forwards both ways and counts the bytes', async () => {
    const s = await connect(proxy.port);
    const got = receive(s, 5);
    s.write('hello');
    expect(await got).toBe('hello');
    expect(proxy.stats).toMatchObject({ accepted: 1, bytesUp: 5, bytesDown: 5 });
    expect(proxy.connections).toBe(1);
  });

  it('drop destroys open connections and resets new ones; pass heals', async () => {
    const s = await connect(proxy.port);
    proxy.setMode('drop');
    await closed(s);
    const refused = await new Promise<string>((resolve) => {
      const t = createConnection({ host: '127.0.0.1', port: proxy.port });
      sockets.push(t);
      t.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      t.once('close', () => resolve('closed'));
    });
    expect(['ECONNRESET', 'closed', 'EPIPE']).toContain(refused);
    expect(proxy.stats.refused).toBe(1);
    proxy.setMode('pass');
    const again = await connect(proxy.port);
    const got = receive(again, 2);
    again.write('ok');
    expect(await got).toBe('ok');
  });

  it('stall keeps connections open but silent; pass delivers what waited', async () => {
    const s = await connect(proxy.port);
    const first = receive(s, 2);
    s.write('hi');
    await first;
    proxy.setMode('stall');
    const late = receive(s, 4);
    s.write('late');
    // a fresh connection in stall is accepted and held, and does not reach the target yet
    const held = await connect(proxy.port);
    const lateToo = receive(held, 3);
    held.write('new');
    expect(proxy.connections).toBe(2);
    expect(await new Promise<number>((r) => echo.getConnections((_e, n) => r(n)))).toBe(1);
    // a round trip straight to the echo server passes while the proxied bytes wait
    const direct = await connect(echoPort);
    const d = receive(direct, 1);
    direct.write('x');
    await d;
    expect(proxy.stats.bytesUp).toBe(2);
    expect(s.destroyed || held.destroyed).toBe(false);
    proxy.setMode('pass');
    expect(await late).toBe('late');
    expect(await lateToo).toBe('new');
  });

  it('cut closes what is open and the client can reconnect', async () => {
    const a = await connect(proxy.port);
    const b = await connect(proxy.port);
    proxy.cut();
    await Promise.all([closed(a), closed(b)]);
    expect(proxy.stats.cut).toBe(2);
    expect(proxy.connections).toBe(0);
    const c = await connect(proxy.port);
    const got = receive(c, 3);
    c.write('new');
    expect(await got).toBe('new');
  });

  it('the target closing its side closes the client side; stop() twice is fine', async () => {
    const s = await connect(proxy.port);
    const got = receive(s, 3);
    s.write('bye'); // the echo server ends the connection on "bye"
    expect(await got).toBe('bye');
    await closed(s);
    expect(proxy.connections).toBe(0);
    await proxy.stop();
    await proxy.stop();
  });
});
