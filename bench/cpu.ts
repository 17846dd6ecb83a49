// CPU time of each process on the path (Herald's two, the broker, the Mongo server, the bench
// itself with its fake provider), read from /proc: where the machine's cores go per message.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { MONGO_BASE_URI } from '../test/support/services';

const TICKS_PER_S = 100; // USER_HZ on Linux

/** utime + stime of a process in seconds; 0 when it is gone or not on Linux. */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces) start at ')'.
    const rest = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** The first pid whose command line matches, or undefined. */
export function findPid(pattern: string): number | undefined {
  try {
    const out = execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n')[0];
    return out ? Number(out) : undefined;
  } catch {
    return undefined;
  }
}

export type CpuShare = Record<string, number>;

/** Starts counting the given processes; `stop()` gives CPU seconds spent by each since. */
export function cpuMeter(pids: Record<string, number | undefined>): { stop(): CpuShare } {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? cpuSeconds(pid) : 0]));
  const last: CpuShare = { ...start };
  return {
    stop() {
      const out: CpuShare = {};
      for (const [k, pid] of Object.entries(pids)) {
        // A child that already exited keeps its last reading.
        const now = pid ? cpuSeconds(pid) : 0;
        last[k] = now > 0 ? now : last[k];
        out[k] = Math.max(0, last[k] - start[k]);
      }
      return out;
    },
  };
}

/** The shared services' processes on this machine. */
export function servicePids(): Record<string, number | undefined> {
  // The Mongo test server on MONGODB_URI's port first: a second one (another port) may run beside it.
  const port = new URL(MONGO_BASE_URI).port || '27017';
  const mongo = findPid(`MongoTestServer\\.java ${port}( |$)`) ?? findPid('MongoTestServer|mongo-java-server|mongod');
  return { broker: findPid('beam.smp'), mongo };
}
