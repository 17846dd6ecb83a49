// A TCP proxy (node:net) to stand between Herald and a server so a test can make that server
// unreachable without losing its data: `cut()` destroys every open connection and stops
// listening (new connections are refused, as from a stopped server); `restore()` listens on
// the same port again. `stall()` keeps every connection open but relays nothing either way (a
// server that stopped answering: what was sent waits in the proxy); `resume()` relays it all.
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections currently relayed. */
  readonly open: number;
  cut(): Promise<void>;
  stall(): void;
  resume(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  let stalled = false;
  /** Bytes held while stalled, each with the socket it goes to, in order. */
  let held: Array<{ to: net.Socket; data: Buffer }> = [];
  const send = (to: net.Socket, data: Buffer) => {
    if (stalled) held.push({ to, data });
    else if (!to.destroyed) to.write(data);
  };

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
    client.on('data', (d: Buffer) => send(upstream, d));
    upstream.on('data', (d: Buffer) => send(client, d));
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
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      const out = held;
      held = [];
      for (const { to, data } of out) if (!to.destroyed) to.write(data);
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
