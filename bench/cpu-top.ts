// Summarises V8 CPU profiles (from `npm run bench -- --cpu-prof <dir>`): the functions and the
// packages with the most self time. Run: npx tsx bench/cpu-top.ts <file.cpuprofile>... [--top 25]
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<pkg> or the repo folder a script belongs to. */
function owner(url: string): string {
  // The innermost package: mongoose's own copy of the driver counts as mongodb, not mongoose.
  const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (!url) return '(native / gc / idle)';
  if (url.startsWith('node:')) return 'node core';
  const src = /\/(src\/[^/]+)\//.exec(url);
  return src ? `herald ${src[1]}` : path.basename(url);
}

export function summarise(file: string, top: number): string {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    const key = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const o = functionName.startsWith('(') ? functionName : owner(url);
    pkgs.set(o, (pkgs.get(o) ?? 0) + us);
  }
  const idle = p.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((a, n) => a + (selfUs.get(n.id) ?? 0), 0);
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
  const list = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `  ${pct(us)}  ${k}`);
  return [`${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, busy ${pct(total - idle)}`, ' by package:', ...list(pkgs, 12), ' by function:', ...list(fns, top)].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--top');
  const top = i >= 0 ? Number(args.splice(i, 2)[1]) : 25;
  for (const f of args) process.stdout.write(`${summarise(f, top)}\n\n`);
}
