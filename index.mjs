// ESM entry: the CommonJS module's exports, named. ESM names are static, so
// this list is kept by hand; __test__/81-esm-exports.test.js fails when it
// and index.js's exports differ (either way).
import cjs from './index.js'

export const { ipcMain, ipcRenderer, IpcMain, webContents, connect, MessageChannelMain, MessageChannel } = cjs
export default cjs
