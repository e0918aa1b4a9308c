'use strict'
// Preloaded (`--require`) into a child started by ipcMain.fork(): connects
// this process's default ipcRenderer before any user code runs, so the
// child is a renderer from its first line and fork() resolves even if the
// child never touches ipc-main.

const nonce = process.env.IPC_MAIN_NONCE
// One-time: a grandchild inheriting this environment must not claim it.
delete process.env.IPC_MAIN_NONCE
const address = process.env.IPC_MAIN_ADDRESS
/** Whether the entry script exists: if not, the child dies unconnected and fork() rejects. */
function entryExists() {
  const entry = process.argv[1]
  if (!entry) return false
  try {
    require.resolve(require('node:path').resolve(entry))
    return true
  } catch {
    return false
  }
}

if (nonce && address && entryExists()) {
  const { connectDefault } = require('./socket')
  globalThis[Symbol.for('ipc-main.defaultRenderer')] = connectDefault(address, {
    token: process.env.IPC_MAIN_TOKEN,
    nonce,
  })
}
