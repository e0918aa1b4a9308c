'use strict'
// A worker or child renderer: Comlink, unmodified, on the DOM-shaped
// MessagePort main hands it. `expose` serves an API on the port; `wrap`
// calls one served at the other end.

const Comlink = require('comlink')
const { ipcRenderer } = require('electron')

const api = {
  where: () => `${process.env.IPC_MAIN_ADDRESS ? 'child' : 'worker'} ${process.pid}`,
  add: (a, b) => a + b,
  async slowUpper(s) {
    await new Promise((resolve) => setTimeout(resolve, 5))
    return s.toUpperCase()
  },
  fail() {
    throw new RangeError('out of range over a port')
  },
}

ipcRenderer.on('expose', (event) => {
  const [port] = event.ports
  Comlink.expose(api, port)
})

ipcRenderer.on('call-peer', async (event) => {
  const [port] = event.ports
  const peer = Comlink.wrap(port)
  const got = [await peer.add(40, 2), await peer.slowUpper('across'), await peer.where()]
  ipcRenderer.send('peer-results', got)
  peer[Comlink.releaseProxy]()
  port.close()
})

ipcRenderer.on('quit', () => {
  ipcRenderer.removeAllListeners()
})
