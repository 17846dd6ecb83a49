// Start-up failures a person would hit: a port already taken stops Herald with the reason.
import net from 'node:net';
import { startTestHerald, testConfig } from '../support/herald';

describe('start-up', () => {
  it('refuses to start when the HTTP port is taken, naming the cause', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startTestHerald(testConfig('embedded', { dispatchPort: port }))).rejects.toThrow(/EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
