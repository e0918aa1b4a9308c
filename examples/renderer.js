'use strict'
// A renderer in a worker thread or a child process: in both, `ipcRenderer`
// is already connected to main (spawnWorker / fork set that up).
const { isMainThread } = require('node:worker_threads')
const { ipcRenderer } = require('..')

const me = isMainThread ? `child process ${process.pid}` : 'worker'

ipcRenderer.on('welcome', (event, text) => console.log(`${me}: ${text}`))
ipcRenderer.on('start', async (event, n) => {
  ipcRenderer.send('hello', me)
  console.log(`${me}: config lang = ${ipcRenderer.sendSync('config', 'lang')} (blocking sendSync)`)
  console.log(`${me}: ${n} + 2 = ${await ipcRenderer.invoke('add', n, 2)}`)
  ipcRenderer.send('done')
  // Nothing left to wait for: a child process ends by itself.
  ipcRenderer.removeAllListeners()
})
