// Types of the `electron` stand-in: the values, plus Electron's type names.
export { ipcMain, ipcRenderer, webContents, MessageChannelMain } from './index'
export type {
  IpcMain,
  IpcMainEvent,
  IpcMainInvokeEvent,
  IpcRenderer,
  IpcRendererEvent,
  MessagePortMain,
  WebContents,
} from './index'

import type { WebContents as Contents } from './index'
import { EventEmitter } from 'node:events'

/** Electron's contextBridge: the API lands on `globalThis` (this renderer's window). */
export declare const contextBridge: {
  /** Exposes a frozen copy of `api` as `globalThis[apiKey]`; throws if that property exists. */
  exposeInMainWorld(apiKey: string, api: any): void
  /** As exposeInMainWorld (there is one world here). */
  exposeInIsolatedWorld(worldId: number, apiKey: string, api: any): void
}

/** A minimal BrowserWindow: one per renderer, carrying its real WebContents. */
export declare class BrowserWindow extends EventEmitter {
  /** Makes an in-process renderer of `ipcMain` (options are ignored). */
  constructor(options?: object)
  readonly id: number
  readonly webContents: Contents
  isDestroyed(): boolean
  /** Ends the renderer (see destroy()); 'closed' is emitted when it is gone. */
  close(): void
  /** Terminates a worker, kills a child process, closes an in-process renderer this class made. */
  destroy(): void
  focus(): void
  isFocused(): boolean
  /** A window for every live renderer. */
  static getAllWindows(): BrowserWindow[]
  static getFocusedWindow(): BrowserWindow | null
  static fromWebContents(webContents: Contents): BrowserWindow | null
  static fromId(id: number): BrowserWindow | null
}
