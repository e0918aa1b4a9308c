'use strict'
// A worker_threads renderer: `ipcRenderer` is already connected to main.
const { ipcRenderer } = require('..')

ipcRenderer.on('welcome', (event, text) => console.log(`worker renderer: ${text}`))
ipcRenderer.on('start', async (event, n) => {
  ipcRenderer.send('hello', 'the worker')
  console.log(`worker renderer: config lang = ${ipcRenderer.sendSync('config', 'lang')} (blocking sendSync)`)
  console.log(`worker renderer: ${n} + 2 = ${await ipcRenderer.invoke('add', n, 2)}`)
  ipcRenderer.send('worker-done')
})
