// Types of the `electron` stand-in: the values, plus Electron's type names.
export { ipcMain, ipcRenderer, webContents } from './index'
export type {
  IpcMain,
  IpcMainEvent,
  IpcMainInvokeEvent,
  IpcRenderer,
  IpcRendererEvent,
  WebContents,
} from './index'
