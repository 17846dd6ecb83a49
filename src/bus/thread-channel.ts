// News between the threads of this process (`herald all`'s main thread and its sender threads):
// a named channel whose members hear what every other member posts, in their own thread and in
// the others. A thread opens one BroadcastChannel per name, never what keeps a process (or a
// thread) alive, and closes it when its last member leaves.
import { BroadcastChannel } from 'node:worker_threads';

/** A member as its thread's room knows it. */
interface Member {
  hear(data: unknown): void;
}

/** This thread's end of one name: its BroadcastChannel and the members joined to it. */
interface Room {
  channel: BroadcastChannel;
  members: Set<Member>;
}

const rooms = new Map<string, Room>();

function enter(name: string, member: Member): void {
  let room = rooms.get(name);
  if (!room) {
    const channel = new BroadcastChannel(name);
    channel.unref();
    const members = new Set<Member>();
    channel.onmessage = (e) => {
      const data: unknown = (e as MessageEvent).data;
      for (const m of members) m.hear(data);
    };
    room = { channel, members };
    rooms.set(name, room);
  }
  room.members.add(member);
}

function exit(name: string, member: Member): void {
  const room = rooms.get(name);
  if (!room?.members.delete(member) || room.members.size > 0) return;
  room.channel.close();
  rooms.delete(name);
}

/**
 * A member of the channel `name`: `onMessage` hears what the other members post (never its own
 * posts), once per message however many users it has. It is on the channel while it has a user:
 * join() adds one and hands back its leave() (once is enough; more do nothing).
 */
export class ThreadChannel<T> {
  private users = 0;
  private readonly member: Member;

  constructor(
    readonly name: string,
    onMessage: (data: T) => void,
  ) {
    this.member = { hear: (data) => onMessage(data as T) };
  }

  /** On the channel: it has a user. */
  get joined(): boolean {
    return this.users > 0;
  }

  join(): () => void {
    if (this.users++ === 0) enter(this.name, this.member);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.users === 0) exit(this.name, this.member);
    };
  }

  /**
   * To every other member: those of this thread hear it before post() returns (the same value:
   * post values, not objects to change), those of the other threads a copy, soon. Nothing while
   * this member has no user.
   */
  post(data: T): void {
    const room = this.joined ? rooms.get(this.name) : undefined;
    if (!room) return;
    for (const m of room.members) if (m !== this.member) m.hear(data);
    room.channel.postMessage(data);
  }
}

/** A new member of `name` with one user: its leave() is `close`. */
export function joinThreadChannel<T>(name: string, onMessage: (data: T) => void): { post(data: T): void; close(): void } {
  const member = new ThreadChannel(name, onMessage);
  const close = member.join();
  return { post: (data) => member.post(data), close };
}
