// ESM entry: the CommonJS module's exports, named.
import cjs from './index.js'

export const { ipcMain, ipcRenderer, IpcMain, webContents, MessageChannelMain, MessageChannel } = cjs
export default cjs
