// A TCP proxy (node:net) to stand between Herald and a server so a test can make that server
// unreachable without losing its data: `cut()` destroys every open connection and stops
// listening (new connections are refused, as from a stopped server); `restore()` listens on
// the same port again.
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections currently relayed. */
  readonly open: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;

  function relay(client: net.Socket): void {
    const upstream = net.connect(target);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async function listen(): Promise<void> {
    const s = net.createServer(relay);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as net.AddressInfo).port;
    server = s;
  }

  async function stopListening(): Promise<void> {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await listen();
  return {
    port,
    get open() {
      return sockets.size / 2;
    },
    async cut() {
      const closing = stopListening();
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closing;
    },
    async restore() {
      if (!server) await listen();
    },
    async close() {
      const closing = stopListening();
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closing;
    },
  };
}
