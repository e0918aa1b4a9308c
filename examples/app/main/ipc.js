'use strict'
// The IPC half of a small notes app's Electron main process. It is written
// against Electron itself: under test, `electron` is aliased to
// `ipc-main/electron`, and this file runs unchanged (see ../README.md).

const { ipcMain, webContents } = require('electron')

const settings = { theme: 'dark', lang: 'en' }

// Every open window hears about a change, whichever window made it.
function broadcast(channel, ...args) {
  for (const wc of webContents.getAllWebContents()) wc.send(channel, ...args)
}

/**
 * Registers the app's channels on Electron's ipcMain. The store lives in this
 * call, so each call (a window session, or a test) starts empty.
 * @returns {() => void} undoes the registration (tests, hot reload)
 */
function register() {
  const notes = new Map()
  let nextId = 1

  // invoke('notes:add', text): a note; a bad text rejects in the renderer
  // with "Error invoking remote method 'notes:add': Error: ...".
  ipcMain.handle('notes:add', async (event, text) => {
    if (typeof text !== 'string' || text.trim() === '') {
      throw new Error('A note needs some text')
    }
    const note = { id: nextId++, text: text.trim(), created: new Date(), by: event.sender.id }
    notes.set(note.id, note)
    broadcast('notes:changed', notes.size)
    return note
  })

  // The session secret is handed out once: a second window (or a script in
  // a compromised one) asking again gets "No handler registered".
  ipcMain.handleOnce('session:start', () => ({ token: `s-${process.pid}-${Date.now()}` }))

  // send('notes:list') is answered on the same channel, to that window only.
  const list = (event) => event.reply('notes:list', [...notes.values()])
  ipcMain.on('notes:list', list)

  // sendSync('settings:get', key): renderers read settings before first paint.
  const getSetting = (event, key) => {
    event.returnValue = Object.hasOwn(settings, key) ? settings[key] : null
  }
  ipcMain.on('settings:get', getSetting)

  return function unregister() {
    ipcMain.removeHandler('notes:add')
    ipcMain.removeHandler('session:start')
    ipcMain.removeListener('notes:list', list)
    ipcMain.removeListener('settings:get', getSetting)
  }
}

module.exports = { register, broadcast }
