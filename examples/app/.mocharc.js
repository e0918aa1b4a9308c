'use strict'
// mocha, run from the repository root: `mocha --config examples/app/.mocharc.js`.
const path = require('node:path')

const here = (...p) => path.join(__dirname, ...p)

module.exports = {
  // The alias: require('electron') resolves to ipc-main's stand-in.
  require: [here('test', 'electron-alias.js')],
  // Only this runner's wrappers, in this order: mocha runs every file in one
  // process, and the renderers spec ends by closing the default ipcMain.
  spec: [here('test', 'mocha', 'in-process.test.js'), here('test', 'mocha', 'renderers.test.js')],
  // A mistyped path must fail the run, not pass it with 0 tests.
  failZero: true,
  // A child process renderer starts a fresh Node: more than mocha's 2 s on a busy CI box.
  timeout: 15000,
}
