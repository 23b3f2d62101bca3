/**
 * A TCP port for a process that must come back on the same port after a SIGKILL (a hub, a
 * broker), for tests and chaos runs. It is drawn below the kernel's ephemeral range (32768+), so
 * no outgoing connection or listen(0) elsewhere can take it between this check and the bind, or
 * while the process is down.
 */
import { createServer } from 'node:net';

export async function restartablePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const s = createServer();
    // 0.0.0.0 also fails when the port is bound on 127.0.0.1 alone
    const ok = await new Promise<boolean>((r) => {
      s.once('error', () => r(false));
      s.listen({ port, host: '0.0.0.0', exclusive: true }, () => r(true));
    });
    if (!ok) continue;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
}
