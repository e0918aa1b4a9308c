'use strict'
// Preloaded with `--require` (node --test, mocha): `require('electron')`
// resolves to ipc-main's stand-in, as jest's moduleNameMapper or vitest's
// alias do. On Node 20 the module.register() hooks do not see require(),
// so the CommonJS resolver is the place to do it.

const Module = require('node:module')

const standIn = require.resolve('ipc-main/electron')
const resolveFilename = Module._resolveFilename

Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, request === 'electron' ? standIn : request, ...rest)
}
