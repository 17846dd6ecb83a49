// amqplib writes every frame it has queued (a publish, an ack) to the socket on its own: one write
// system call each, about half of the socket-write CPU of a busy `herald server` (the other half is
// MongoDB commands). Its multiplexer drains all queued frames in one go, once per turn of the event
// loop; corking the socket around that drain hands them to the kernel in one writev. Same bytes, same
// order; a connection whose internals look different is left as it is.
import type { Duplex } from 'node:stream';

interface MuxLike {
  out?: Duplex;
  _readIncoming?: () => void;
}

/** Coalesces the socket writes of an amqplib connection (the ChannelModel from connect); false when it cannot. */
export function coalesceWrites(model: unknown): boolean {
  const mux = (model as { connection?: { muxer?: MuxLike } } | null)?.connection?.muxer;
  const out = mux?.out;
  const drain = mux?._readIncoming;
  if (!mux || !out || typeof drain !== 'function' || typeof out.cork !== 'function' || typeof out.uncork !== 'function') return false;
  mux._readIncoming = function corked(this: MuxLike) {
    out.cork();
    try {
      drain.call(this);
    } finally {
      out.uncork();
    }
  };
  return true;
}
