#!/usr/bin/env node
// `npm run bench [-- --quick]`: runs the TypeScript benchmark (bench/index.ts) through tsx.
const path = require('node:path');
require('tsx/cjs');
require(path.join(__dirname, '..', 'bench', 'index.ts')).main(process.argv.slice(2));
