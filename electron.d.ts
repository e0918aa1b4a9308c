// Types of the `electron` stand-in: the values, plus Electron's type names.
export { ipcMain, webContents, MessageChannelMain } from './index'
import type { IpcRenderer as Renderer } from './index'
/**
 * This environment's renderer, as `require('ipc-main').ipcRenderer`; but
 * `undefined` when `process.type === 'browser'` (a program declaring itself
 * Electron's main process), as in Electron's main. Typed as Electron types it.
 */
export declare const ipcRenderer: Renderer
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

/**
 * The part of Electron's `app` that libraries read to find their files: the app's name and version (from the
 * package.json nearest the main script), `getPath`/`setPath` with Electron's defaults for this OS; always ready.
 */
export declare const app: EventEmitter & {
  /** `productName` or `name` of the app's package.json, else `'Electron'`; settable. */
  name: string
  getName(): string
  setName(name: string): void
  /** `version` of the app's package.json, else `'0.0.0'`. */
  getVersion(): string
  readonly isPackaged: boolean
  /** Always true: there is no startup to wait for. */
  isReady(): boolean
  whenReady(): Promise<void>
  /** Electron's special directories; an unknown name throws `Failed to get '<name>' path`. */
  getPath(
    name: 'home' | 'appData' | 'userData' | 'sessionData' | 'temp' | 'exe' | 'module' | 'logs' | 'crashDumps' | (string & {}),
  ): string
  /** Overrides a special directory (an absolute path), as Electron's `app.setPath`. */
  setPath(name: string, path: string): void
}
