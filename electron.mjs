// ESM form of the `electron` stand-in (its names are checked against
// electron.js by __test__/81-esm-exports.test.js).
import cjs from './electron.js'

export const { ipcMain, ipcRenderer, webContents, app, contextBridge, BrowserWindow, MessageChannelMain } = cjs
export default cjs
