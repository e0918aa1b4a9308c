'use strict'
// A child-process renderer: reads the stream from the port main gave it,
// checks the order, reports to main when the producer closes its end.

const { ipcRenderer } = require('../..')

ipcRenderer.once('port', (event, { from }) => {
  const [port] = event.ports
  let next = 0
  let inOrder = true
  port.onmessage = ({ data }) => {
    if (data.seq !== next) inOrder = false
    next++
  }
  port.onclose = () => {
    ipcRenderer.send('summary', `${next} chunks from ${from}, ${inOrder ? 'in order' : 'OUT OF ORDER'}`)
    // Nothing else keeps this process alive: it exits once the send is out.
    ipcRenderer.close()
  }
})
