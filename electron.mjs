// ESM form of the `electron` stand-in.
import cjs from './electron.js'

export const { ipcMain, ipcRenderer, webContents, contextBridge, BrowserWindow, MessageChannelMain } = cjs
export default cjs
