#!/usr/bin/env node
// Runs the compiled CLI when there is no source tree (the Docker image) or when the first
// argument is `--dist` (after `npm run build`; the bench runs Herald as deployed), else the
// TypeScript source through tsx, so `npm start` needs no build step.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const src = path.join(root, 'src', 'cli', 'herald.ts');
const argv = [...process.argv];
const dist = argv[2] === '--dist' ? (argv.splice(2, 1), true) : !fs.existsSync(src);
if (dist) {
  require(path.join(root, 'dist', 'cli', 'herald.js')).main(argv);
} else {
  require('tsx/cjs');
  require(src).main(argv);
}
