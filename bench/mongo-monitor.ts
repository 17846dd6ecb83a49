// Command monitoring on every MongoDB connection this process opens (Herald's included): each started
// command goes to `onCommand`. For the diagnostics that count commands per notification or message.
import mongoose, { type mongo } from 'mongoose';

/** `<command> <collection>`: the key a command is counted under. */
export function commandKey(e: mongo.CommandStartedEvent): string {
  const target = (e.command as Record<string, unknown>)[e.commandName];
  return `${e.commandName} ${typeof target === 'string' ? target : ''}`.trim();
}

/** Call before Herald connects: later `mongoose.createConnection`s report their commands. */
export function monitorMongoCommands(onCommand: (e: mongo.CommandStartedEvent) => void): void {
  const createConnection = mongoose.createConnection.bind(mongoose);
  (mongoose as unknown as { createConnection: typeof createConnection }).createConnection = ((uri: string, opts: mongoose.ConnectOptions) => {
    const conn = createConnection(uri, { ...opts, monitorCommands: true });
    conn.asPromise().then(
      () => conn.getClient().on('commandStarted', onCommand),
      () => undefined,
    );
    return conn;
  }) as typeof createConnection;
}
