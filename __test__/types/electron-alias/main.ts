// Main-process code written against `electron`, unchanged: tsconfig `paths`
// maps `electron` to ipc-main's stand-in (as a project's tests would).
import { BrowserWindow, contextBridge, ipcMain, ipcRenderer, webContents } from 'electron';
import type {
  IpcMain,
  IpcMainEvent,
  IpcMainInvokeEvent,
  IpcRenderer,
  IpcRendererEvent,
  WebContents,
} from 'electron';

interface Settings {
  theme: 'dark' | 'light';
}

export function register(main: IpcMain): void {
  main.handle('settings:get', async (_event: IpcMainInvokeEvent, key: keyof Settings) => {
    const settings: Settings = { theme: 'dark' };
    return settings[key];
  });
  main.on('log', (event: IpcMainEvent, level: string, message: string) => {
    event.reply('log:ack', `${level}: ${message}`, event.sender.id, event.processId);
  });
  main.on('version', (event) => {
    event.returnValue = '1.0.0';
  });
  main.handleOnce('once', () => 1);
  main.removeHandler('settings:get');
}

register(ipcMain);

export function broadcast(channel: string, ...args: unknown[]): number {
  const all: WebContents[] = webContents.getAllWebContents();
  for (const wc of all) {
    if (!wc.isDestroyed()) wc.send(channel, ...args);
  }
  return BrowserWindow.getAllWindows().filter((w) => !w.isDestroyed()).length;
}

// Preload-style code.
export async function preload(renderer: IpcRenderer): Promise<string> {
  renderer.on('log:ack', (_event: IpcRendererEvent, text: string) => text.toUpperCase());
  contextBridge.exposeInMainWorld('api', { version: () => renderer.sendSync('version') as string });
  const theme: unknown = await renderer.invoke('settings:get', 'theme');
  return String(theme);
}

void preload(ipcRenderer);

// Electron's event members used by real apps type-check.
ipcMain.on('x', (e) => {
  const frame = e.senderFrame;
  const id: number = e.frameId;
  e.sender.send('y', frame?.processId, id);
});
