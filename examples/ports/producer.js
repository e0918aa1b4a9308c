'use strict'
// A worker renderer: streams numbered chunks over the port main gave it,
// then closes its end.

const { ipcRenderer } = require('../..')

ipcRenderer.once('port', (event, { count }) => {
  const [port] = event.ports
  for (let i = 0; i < count; i++) port.postMessage({ seq: i, bytes: Buffer.alloc(64, i % 256) })
  port.close()
})
