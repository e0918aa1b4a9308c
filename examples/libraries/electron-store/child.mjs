// A renderer in another process (ipcMain.fork): Electron's renderer
// `process.type`, then electron-store as a renderer uses it. `new Store()`
// asks main for its data with `ipcRenderer.sendSync` over the socket. What
// it saw goes back to the test on a channel of its own.

import { ipcRenderer } from 'ipc-main'

process.type = 'renderer'
const { default: Store } = await import('electron-store')

const store = new Store()
const fromMain = store.get('fromMain')
store.set('fromChild', { pid: process.pid })
ipcRenderer.send('child-report', { path: store.path, fromMain })
