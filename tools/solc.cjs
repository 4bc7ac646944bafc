#!/usr/bin/env node
// A native-solc look-alike around the npm `solc` (wasm) build, for forge and slither.
// Answers `--version` and `--standard-json` (input on stdin); anything else is refused.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const solc = require(path.join(root, 'node_modules', 'solc'));

function writeAll(fd, text) {
  // Node truncates piped stdout at exit; write synchronously, retrying on EAGAIN.
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}

function readImport(importPath) {
  for (const base of [process.cwd(), root, path.join(root, 'node_modules')]) {
    const candidate = path.resolve(base, importPath);
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  }
  return { error: `File not found: ${importPath}` };
}

const args = process.argv.slice(2);
if (args.includes('--version')) {
  writeAll(1, `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  writeAll(2, 'this wrapper supports only --version and --standard-json\n');
  process.exit(2);
}
const input = fs.readFileSync(0, 'utf8');
const output = solc.compile(input, { import: readImport });
// solcjs may emit diagnostic lines starting with `>>>` before the JSON: keep only the JSON.
const start = output.indexOf('{');
writeAll(1, start > 0 ? output.slice(start) : output);
