// The layers of src/ (cli -> runtime -> workers -> http -> services -> bus -> config/log ->
// providers/store -> domain): a module imports only from its own layer or the ones below it.
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', 'src');
const RANK: Record<string, number> = {
  cli: 0, runtime: 1, workers: 2, http: 3, services: 4, bus: 5, config: 6, log: 6, providers: 7, store: 7, domain: 8,
};

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const layerOf = (file: string): string => path.relative(SRC, file).split(path.sep)[0];
const IMPORT = /(?:\bfrom|\bimport\(|^import)\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

describe('architecture', () => {
  const files = sources(SRC);

  it('every source file belongs to a known layer', () => {
    expect(files.map(layerOf).filter((l) => !(l in RANK))).toEqual([]);
  });

  it('nothing imports from a layer above its own', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const m of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const to = layerOf(path.resolve(path.dirname(file), m[1]));
        if (RANK[to] !== undefined && RANK[to] < RANK[from]) upward.push(`${path.relative(SRC, file)} imports ${m[1]} (${from} -> ${to})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('only src/config reads process.env', () => {
    const readers = files.filter((f) => layerOf(f) !== 'config' && /process\.env\b/.test(fs.readFileSync(f, 'utf8')));
    expect(readers.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
