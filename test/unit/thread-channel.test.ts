// The named channel between the threads of one process (src/bus/thread-channel.ts): a post reaches
// every other member, in its own thread and in the others, never the poster; a member hears until
// its last user leaves; and a joined channel never keeps a thread alive.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { joinThreadChannel, ThreadChannel } from '../../src/bus/thread-channel';

jest.setTimeout(60_000);

let n = 0;
const uniqueName = () => `herald-test-channel-${process.pid}-${++n}`;

test('a post reaches the other members of this thread at once, never the poster nor another name', () => {
  const name = uniqueName();
  const heard: string[] = [];
  const a = joinThreadChannel<string>(name, (m) => heard.push(`a:${m}`));
  const b = joinThreadChannel<string>(name, (m) => heard.push(`b:${m}`));
  const other = joinThreadChannel<string>(uniqueName(), (m) => heard.push(`other:${m}`));
  try {
    a.post('x');
    expect(heard).toEqual(['b:x']);
    b.post('y');
    expect(heard).toEqual(['b:x', 'a:y']);
  } finally {
    [a, b, other].forEach((c) => c.close());
  }
});

test('a member hears once per message however many users it has, until the last one leaves', () => {
  const name = uniqueName();
  const heard: string[] = [];
  const member = new ThreadChannel<string>(name, (m) => heard.push(m));
  const poster = joinThreadChannel<string>(name, () => undefined);
  try {
    const first = member.join();
    const second = member.join();
    poster.post('both');
    first();
    first(); // a second leave() of the same user changes nothing
    poster.post('one left');
    expect(member.joined).toBe(true);
    second();
    expect(member.joined).toBe(false);
    poster.post('none left');
    member.post('not on the channel');
    expect(heard).toEqual(['both', 'one left']);
  } finally {
    poster.close();
  }
});

const THREAD = `
require('tsx/cjs');
const { workerData } = require('node:worker_threads');
const { joinThreadChannel } = require(${JSON.stringify(path.resolve(__dirname, '../../src/bus/thread-channel'))});
// Up until pinged; then the thread, still on the channel, ends by itself.
const timer = setTimeout(() => process.exit(2), 30000);
const channel = joinThreadChannel(workerData.name, (m) => {
  if (m !== 'ping') return;
  clearTimeout(timer);
  channel.post({ pong: true });
});
channel.post({ hello: 'from the thread' });
`;

test('posts cross threads both ways, and a thread still on the channel ends by itself', async () => {
  const name = uniqueName();
  const heard: unknown[] = [];
  let answer: (m: unknown) => void = () => undefined;
  const main = joinThreadChannel<unknown>(name, (m) => {
    heard.push(m);
    answer(m);
  });
  const next = () => new Promise<unknown>((resolve) => (answer = resolve));
  try {
    const hello = next();
    const worker = new Worker(THREAD, { eval: true, workerData: { name } });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    expect(await hello).toEqual({ hello: 'from the thread' });
    const pong = next();
    main.post('ping');
    expect(await pong).toEqual({ pong: true });
    expect(await exited).toBe(0);
    expect(heard).toEqual([{ hello: 'from the thread' }, { pong: true }]);
  } finally {
    main.close();
  }
});
