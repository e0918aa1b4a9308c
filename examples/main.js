'use strict'
// `npm start`: main-process code written against Electron's ipcMain, answered
// by an in-process renderer, a worker_threads renderer and a child process.

const path = require('node:path')
const { ipcMain, ipcRenderer } = require('..')

// Main side: exactly what an Electron app writes.
ipcMain.handle('add', (event, a, b) => a + b)
ipcMain.on('hello', (event, from) => {
  console.log(`main: hello from ${from} (WebContents #${event.sender.id}, pid ${event.processId})`)
  event.reply('welcome', `hi ${from}`)
})
ipcMain.on('config', (event, key) => {
  event.returnValue = { theme: 'dark', lang: 'en' }[key]
})

async function main() {
  // 1. The in-process renderer: drives handlers exactly as a renderer would.
  ipcRenderer.on('welcome', (event, text) => console.log(`in-process renderer: ${text}`))
  ipcRenderer.send('hello', 'the in-process renderer')
  console.log(`in-process renderer: config theme = ${ipcRenderer.sendSync('config', 'theme')}`)
  console.log(`in-process renderer: 2 + 3 = ${await ipcRenderer.invoke('add', 2, 3)}`)

  // 2. A worker thread renderer.
  const worker = await ipcMain.spawnWorker(path.join(__dirname, 'renderer.js'))
  const exited = new Promise((resolve) => worker.worker.once('exit', resolve))
  worker.send('start', 40)
  // It ends by itself when done (terminate() could cut its last console lines).
  await exited

  // 3. A child process renderer, over the authenticated local socket.
  const child = await ipcMain.fork(path.join(__dirname, 'renderer.js'))
  console.log(`main: forked pid ${child.getOSProcessId()} as WebContents #${child.id}`)
  const gone = new Promise((resolve) => child.once('destroyed', resolve))
  const done = new Promise((resolve) => ipcMain.once('done', resolve))
  child.send('start', 100)
  await done
  await gone
  console.log(`main: child exited (crashed: ${child.isCrashed()})`)

  // Stop listening: nothing of ours keeps the process alive any more.
  await ipcMain.close()
  console.log('main: done')
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
