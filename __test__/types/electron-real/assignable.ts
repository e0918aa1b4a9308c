// Electron's own objects, typed by Electron's real electron.d.ts (fetched by
// 71-electron-types.test.js, never installed), are assignable to ours: code
// that receives `Electron.IpcMainEvent` can hand it to code typed against
// ipc-main, and a real `ipcMain` fits where ours is expected.
import type {
  IpcMain,
  IpcMainEvent,
  IpcMainInvokeEvent,
  IpcRenderer,
  IpcRendererEvent,
} from 'ipc-main';

declare const event: Electron.IpcMainEvent;
declare const invokeEvent: Electron.IpcMainInvokeEvent;
declare const rendererEvent: Electron.IpcRendererEvent;

export const a: IpcMainEvent = event;
export const b: IpcMainInvokeEvent = invokeEvent;
export const c: IpcRendererEvent = rendererEvent;

// Listeners written for Electron's event types can be registered on ours.
declare const ours: IpcMain;
ours.on('ch', (e: Electron.IpcMainEvent, ...args: any[]) => {
  e.reply('back', ...args);
});

declare const oursRenderer: IpcRenderer;
oursRenderer.on('ch', (e: Electron.IpcRendererEvent, v: string) => v.length + e.ports.length);
