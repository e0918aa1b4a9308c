'use strict'
// Message ports: main hands a worker and a child process the two ends of
// one channel; they stream to each other directly (main only introduces
// them), then the producer closes its end and both renderers end.
//
//   node examples/ports/main.js

const path = require('node:path')
const { ipcMain, MessageChannelMain } = require('../..')

async function main() {
  const producer = await ipcMain.spawnWorker(path.join(__dirname, 'producer.js'))
  const consumer = await ipcMain.fork(path.join(__dirname, 'consumer.js'))
  const consumerExited = new Promise((resolve) => consumer.process.once('exit', resolve))
  ipcMain.once('summary', (event, text) => console.log(`main: the consumer says: ${text}`))

  const { port1, port2 } = new MessageChannelMain()
  consumer.postMessage('port', { from: 'the producer (a worker)' }, [port2])
  producer.postMessage('port', { count: 1000 }, [port1])

  await consumerExited
  await producer.worker.terminate()
  console.log('main: done')
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
