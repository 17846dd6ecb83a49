#!/usr/bin/env node
// Runs the compiled CLI when there is no source tree (the Docker image), else the TypeScript
// source through tsx, so `npm start` needs no build step.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const src = path.join(root, 'src', 'cli', 'herald.ts');
if (fs.existsSync(src)) {
  require('tsx/cjs');
  require(src).main(process.argv);
} else {
  require(path.join(root, 'dist', 'cli', 'herald.js')).main(process.argv);
}
