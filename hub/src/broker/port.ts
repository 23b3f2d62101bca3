/** Listening with a clear message when the port is taken (HCP_PORT_IN_USE), never a bare EADDRINUSE. */
import type { Server } from 'node:net';
import { HcpError } from '@hcp/protocol';

export function listen(server: Server, port: number, host: string, what: string, hint: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
        reject(new HcpError('HCP_PORT_IN_USE', { port, what }, { cause: err, message: `${what} port ${port} is ${err.code === 'EACCES' ? 'not allowed' : 'in use'}: ${hint}` }));
      } else reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
