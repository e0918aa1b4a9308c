// Compiled by __test__/70-types.test.js with `tsc -p __test__/types/tsconfig.json`
// (strict, noEmit). Nothing here runs. Every `@ts-expect-error` line must fail to
// type-check; if it ever type-checks (e.g. because a parameter silently became
// `any`), tsc reports the unused directive and the test fails.

import {
  ipcMain,
  ipcRenderer,
  IpcMain,
  webContents,
  connect,
  MessageChannelMain,
  MessageChannel,
} from 'ipc-main';
import type {
  IpcMainEvent,
  IpcMainInvokeEvent,
  IpcMainHandlerEvent,
  IpcRenderer,
  IpcRendererEvent,
  IpcStats,
  WebContents,
  WebContentsLike,
  IpcRendererLike,
  IpcMainLike,
  ListenResult,
  IpcInvokeError,
  MessagePortMain,
  MessagePort,
} from 'ipc-main';
import { EventEmitter, once as eventsOnce } from 'events';
import type { ChildProcess } from 'child_process';
import type { Worker } from 'worker_threads';

// ---- helpers ---------------------------------------------------------------

type IsAny<T> = 0 extends 1 & T ? true : false;
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function assertType<T extends true>(): void {}

// ---- IpcMain listeners: parameters inferred, no annotations ----------------

ipcMain.on('x', (event, a) => {
  const id: number = event.sender.id;
  event.returnValue = 1;
  event.reply('y', 2);
  // inferred, not `any`:
  // @ts-expect-error sender.id is a number
  const s: string = event.sender.id;
  assertType<Equals<typeof event, IpcMainEvent<WebContents>>>();
  assertType<IsAny<typeof a>>(); // extra args are any, as in Electron
  const t: 'frame' = event.type;
  const pid: number = event.processId + event.frameId;
  const frame = event.senderFrame;
  frame.send('to-frame', frame.processId, frame.routingId); // never null in ipc-main
  const ports: readonly unknown[] = event.ports;
  event.preventDefault();
  const prevented: boolean = event.defaultPrevented;
  // main -> renderer invoke through the sender (ipc-main extension)
  const p: Promise<any> = event.sender.invoke('renderer-side', 1);
  void [id, s, t, pid, ports, prevented, p];
});

ipcMain.once('x', (event) => { event.reply('once'); });
ipcMain.addListener('x', (event) => { assertType<Equals<IsAny<typeof event>, false>>(); });
ipcMain.prependListener('x', (event) => { assertType<Equals<typeof event.sender, WebContents>>(); });
ipcMain.prependOnceListener('x', (event) => { assertType<Equals<typeof event.sender, WebContents>>(); });

const namedListener = (event: IpcMainEvent, n: number): void => { event.reply('n', n + 1); };
ipcMain.on('named', namedListener);
ipcMain.off('named', namedListener);
ipcMain.removeListener('named', namedListener);
ipcMain.removeAllListeners('named');
ipcMain.removeAllListeners();

// EventEmitter fallback: symbols and untyped listeners still work.
const sym = Symbol('s');
ipcMain.on(sym, (...args: any[]) => { void args; });
ipcMain.emit('x', {} as IpcMainEvent<WebContents>, 1);
const names: (string | symbol)[] = ipcMain.eventNames();
const count: number = ipcMain.listenerCount('x');
ipcMain.setMaxListeners(20);
void [names, count];

// It really is an EventEmitter.
const asEmitter: EventEmitter = ipcMain;
const asNodeEmitter: NodeJS.EventEmitter = new IpcMain();
async function eventsHelpers(): Promise<void> {
  const [ev] = await eventsOnce(ipcMain, 'x');
  void ev;
}
void [asEmitter, asNodeEmitter, eventsHelpers];

// ---- IpcMain handlers ------------------------------------------------------

ipcMain.handle('x', async (event, n) => n);
ipcMain.handle('sync-result', (event, a: number, b: number) => a + b);
ipcMain.handleOnce('y', async (event) => {
  assertType<Equals<typeof event, IpcMainHandlerEvent<WebContents>>>();
  const aborted: boolean = event.signal.aborted; // present on ipc-main's events
  const id: number = event.sender.id;
  const frameId: number = event.frameId;
  // @ts-expect-error invoke events have no reply()
  event.reply('nope');
  // @ts-expect-error invoke events have no returnValue
  event.returnValue = 1;
  return { aborted, id, frameId };
});
ipcMain.removeHandler('x');

// @ts-expect-error a handler must be a function
ipcMain.handle('x', 42);
// @ts-expect-error a channel is required
ipcMain.removeHandler();
// @ts-expect-error handler events are not IpcMainEvent (no reply)
ipcMain.handle('z', (event: IpcMainEvent) => event.reply('a'));

const namedHandler = async (event: IpcMainInvokeEvent, x: string): Promise<string> => x + event.frameId;
ipcMain.handle('named', namedHandler);

// handle/handleOnce are own properties (as Electron's): a spread copy keeps
// them, with their types; removeHandler is a prototype method it drops.
const spread = { ...ipcMain, send: (channel: string) => channel };
spread.handle('spread', async (event, n) => n + event.frameId);
spread.handleOnce('spread-once', (event) => event.sender.id);
// @ts-expect-error a spread copy has no prototype methods
spread.removeHandler('spread');

// ---- IpcMain hub extras ----------------------------------------------------

async function hub(): Promise<void> {
  const isolated = new IpcMain();
  const r: IpcRenderer = isolated.createRenderer();
  const v: Promise<any> = r.invoke('x');
  const info: ListenResult = await isolated.listen({ path: '/tmp/x.sock', maxFrameSize: 1 << 20, maxQueueBytes: 8 << 20 });
  const again: { address: string; token: string } = await isolated.listen();
  const addr: string | null = isolated.address;
  const chained: IpcMain = isolated.unref().ref();
  const child: WebContents = await isolated.fork('./child.js', ['--flag'], { env: { A: '1' } });
  const child2: WebContents = await isolated.fork('./child.js');
  const proc: ChildProcess | undefined = child.process;
  const worker: WebContents = await isolated.spawnWorker(new URL('file:///w.js'), { workerData: 1 });
  const w: Worker | undefined = worker.worker;
  const stats: IpcStats = isolated.stats();
  const total: number = stats.queueDepth + stats.queueBytes + stats.renderers;
  const threadAddr: string = isolated.threadAddress;
  const sock: string | null = isolated.address;
  const extra: number = stats.in.invoke.messages;
  await isolated.close();
  // @ts-expect-error close() returns a promise, not a hub
  isolated.close().ref();
  // @ts-expect-error fork args are strings
  await isolated.fork('./child.js', [1]);
  void [v, info, again, addr, chained, child2, proc, w, total, extra];
}
void hub;

// ---- IpcRenderer -------------------------------------------------------------

const r: IpcRenderer = ipcRenderer;
const v: Promise<any> = r.invoke('x');
r.send('x', 1, 'two', { three: 3 });
const syncResult: any = r.sendSync('x');
const withOptions: Promise<any> = r.invokeWithOptions('x', { timeout: 100, signal: AbortSignal.timeout(50) }, 1, 2);
r.on('from-main', (event, payload) => {
  const me: IpcRenderer = event.sender;
  assertType<Equals<typeof event, IpcRendererEvent<IpcRenderer>>>();
  assertType<IsAny<typeof payload>>();
  // @ts-expect-error sender is an IpcRenderer, not a number
  const n: number = event.sender;
  const ports: any[] = event.ports;
  me.send('ack');
  void [n, ports];
});
r.once('disconnected', () => {});
r.handle('renderer-side', async (event, n) => n * 2);
r.handleOnce('renderer-once', (event) => event.sender === r);
r.removeHandler('renderer-side');
r.close();
void [v, syncResult, withOptions];

// Detached methods, as published libraries use them.
const { invoke, send, sendSync, invokeWithOptions } = ipcRenderer;
const detached: Promise<any> = invoke('x');
const detachedWithOptions: Promise<any> = invokeWithOptions('x', { timeout: 10 });
send('x');
void [detached, sendSync, detachedWithOptions];

// Rejections carry the thrown error's shape.
async function errorShape(): Promise<void> {
  try {
    await ipcRenderer.invokeWithOptions('x', { signal: new AbortController().signal });
  } catch (e) {
    const err = e as IpcInvokeError;
    const message: string = err.message;
    const remoteStack: string | undefined = err.remoteStack;
    const field: unknown = err.anyOwnField;
    if (err.code === 'IPC_TIMEOUT' || err.code === 'ABORT_ERR') void err.cause;
    // @ts-expect-error remoteStack is a string when present
    const n: number = err.remoteStack;
    void [message, remoteStack, field, err.remoteValue, n];
  }
}
void errorShape;

// Main -> renderer invoke.
async function mainInvokesRenderer(wc: WebContents): Promise<void> {
  ipcRenderer.handle('sum', (event, a: number, b: number) => a + b);
  const sum: number = await wc.invoke('sum', 1, 2);
  const late: unknown = await wc.invokeWithOptions('sum', { timeout: 100, signal: AbortSignal.timeout(50) }, 1, 2);
  // @ts-expect-error the timeout is a number
  wc.invokeWithOptions('sum', { timeout: '100' });
  // @ts-expect-error a renderer handler must be a function
  ipcRenderer.handle('sum', 42);
  ipcRenderer.removeHandler('sum');
  void [sum, late];
}
void mainInvokesRenderer;

// The handler's signal, on every ipc-main invoke event.
ipcMain.handle('long', async (event) => {
  const signal: AbortSignal = event.signal;
  signal.throwIfAborted();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
});

// @ts-expect-error a channel is required
ipcRenderer.send();
// @ts-expect-error channels are strings
ipcRenderer.invoke(1);
// @ts-expect-error invokeWithOptions needs options
ipcRenderer.invokeWithOptions('x');

async function viaConnect(): Promise<void> {
  const remote: IpcRenderer = await connect('/tmp/x.sock', { token: 'abc' });
  const remote2: IpcRenderer = await connect('/tmp/x.sock');
  remote.on('disconnected', () => remote2.close());
}
void viaConnect;

// ---- WebContents ---------------------------------------------------------------

webContents.fromId(1)?.send('a');
const all: WebContents[] = webContents.getAllWebContents();
for (const wc of all) {
  const id: number = wc.id;
  const gone: boolean = wc.isDestroyed() || wc.isCrashed();
  const url: string = wc.getURL();
  const pid: number = wc.getOSProcessId() + wc.getProcessId();
  const answer: Promise<any> = wc.invokeWithOptions('ch', { timeout: 10 }, 1);
  wc.on('ipc-message', (event, channel, ...args) => {
    const c: string = channel;
    const s: number = event.sender.id;
    void [c, s, args];
  });
  wc.once('ipc-message-sync', (event, channel) => { event.returnValue = channel; });
  wc.on('destroyed', () => {});
  wc.ipc.on('scoped', (event, x) => { const sender: WebContents = event.sender; void [sender, x]; });
  wc.ipc.handle('scoped', async (event) => event.signal.aborted);
  void [id, gone, url, pid, answer];
}
// @ts-expect-error fromId may return undefined
webContents.fromId(1).send('a');
// @ts-expect-error send needs a channel
webContents.fromId(1)?.send();

// ---- Sub-/supertype relations between our own types ----------------------------

const wcLike: WebContentsLike = {} as WebContents;
const rLike: IpcRendererLike = {} as IpcRenderer;
const mainLike: IpcMainLike = ipcMain;
const mainLikeRich: IpcMainLike<WebContents> = ipcMain;
const scopeLike: IpcMainLike = ({} as WebContents).ipc;
const evUp: IpcMainEvent = {} as IpcMainEvent<WebContents>;
const invUp: IpcMainInvokeEvent = {} as IpcMainHandlerEvent<WebContents>;
const rEvUp: IpcRendererEvent = {} as IpcRendererEvent<IpcRenderer>;
void [wcLike, rLike, mainLike, mainLikeRich, scopeLike, evUp, invUp, rEvUp];

// ---- Electron's event objects are assignable to ours ------------------------------
// A trimmed, verbatim-shaped copy of the relevant declarations of electron@45's
// electron.d.ts (MIT), so this check runs without installing Electron.

declare namespace ElectronShapes {
  type Event<Params extends object = {}> = {
    preventDefault: () => void;
    readonly defaultPrevented: boolean;
  } & Params;
  interface IpcMain extends NodeJS.EventEmitter {
    addListener(channel: string, listener: (event: IpcMainEvent, ...args: any[]) => void): this;
    handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => (Promise<any>) | (any)): void;
    handleOnce(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => (Promise<any>) | (any)): void;
    off(channel: string, listener: (event: IpcMainEvent, ...args: any[]) => void): this;
    on(channel: string, listener: (event: IpcMainEvent, ...args: any[]) => void): this;
    once(channel: string, listener: (event: IpcMainEvent, ...args: any[]) => void): this;
    removeAllListeners(channel?: string): this;
    removeHandler(channel: string): void;
    removeListener(channel: string, listener: (...args: any[]) => void): this;
  }
  interface IpcMainEvent extends Event {
    frameId: number;
    ports: MessagePortMain[];
    processId: number;
    reply: (channel: string, ...args: any[]) => void;
    returnValue: any;
    sender: WebContents;
    readonly senderFrame: (WebFrameMain) | (null);
    type: ('frame');
  }
  interface IpcMainInvokeEvent extends Event {
    frameId: number;
    processId: number;
    sender: WebContents;
    readonly senderFrame: (WebFrameMain) | (null);
    type: ('frame');
  }
  interface IpcRenderer extends NodeJS.EventEmitter {
    addListener(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
    invoke(channel: string, ...args: any[]): Promise<any>;
    off(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
    on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
    once(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
    postMessage(channel: string, message: any, transfer?: unknown[]): void;
    removeAllListeners(channel?: string): this;
    removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
    send(channel: string, ...args: any[]): void;
    sendSync(channel: string, ...args: any[]): any;
    sendToHost(channel: string, ...args: any[]): void;
  }
  interface IpcRendererEvent extends Event {
    ports: unknown[];
    sender: IpcRenderer;
  }
  class MessagePortMain extends EventEmitter {
    on(event: 'close', listener: Function): this;
    on(event: 'message', listener: (messageEvent: { data: any; ports: MessagePortMain[] }) => void): this;
    close(): void;
    postMessage(message: any, transfer?: MessagePortMain[]): void;
    start(): void;
  }
  class WebFrameMain extends EventEmitter {
    on(event: 'dom-ready', listener: Function): this;
    executeJavaScript(code: string, userGesture?: boolean): Promise<unknown>;
    postMessage(channel: string, message: any, transfer?: MessagePortMain[]): void;
    send(channel: string, ...args: any[]): void;
    readonly detached: boolean;
    readonly frameTreeNodeId: number;
    ipc: IpcMain;
    readonly osProcessId: number;
    readonly processId: number;
    readonly routingId: number;
    readonly url: string;
  }
  class WebContents extends EventEmitter {
    static fromId(id: number): (WebContents) | (undefined);
    static getAllWebContents(): WebContents[];
    on(event: 'destroyed', listener: Function): this;
    on(event: 'ipc-message', listener: (event: IpcMainEvent, channel: string, ...args: any[]) => void): this;
    on(event: 'ipc-message-sync', listener: (event: IpcMainEvent, channel: string, ...args: any[]) => void): this;
    once(event: 'destroyed', listener: Function): this;
    getOSProcessId(): number;
    getProcessId(): number;
    getURL(): string;
    isCrashed(): boolean;
    isDestroyed(): boolean;
    send(channel: string, ...args: any[]): void;
    sendToFrame(frameId: (number) | ([number, number]), channel: string, ...args: any[]): void;
    readonly id: number;
    readonly ipc: IpcMain;
    readonly mainFrame: WebFrameMain;
  }
}

declare const electronEvent: ElectronShapes.IpcMainEvent;
declare const electronInvokeEvent: ElectronShapes.IpcMainInvokeEvent;
declare const electronRendererEvent: ElectronShapes.IpcRendererEvent;
const fromElectron1: IpcMainEvent = electronEvent;
const fromElectron2: IpcMainInvokeEvent = electronInvokeEvent;
const fromElectron3: IpcRendererEvent = electronRendererEvent;
const fromElectron4: WebContentsLike = electronEvent.sender;
const fromElectron5: IpcMainLike = {} as ElectronShapes.IpcMain;
const fromElectron6: IpcRendererLike = {} as ElectronShapes.IpcRenderer;
// A listener written against our supertype can be given Electron's events, and ours.
function portable(event: IpcMainEvent, n: number): void { event.reply('portable', n); }
portable(electronEvent, 1);
ipcMain.on('portable', portable);
void [fromElectron1, fromElectron2, fromElectron3, fromElectron4, fromElectron5, fromElectron6];

// ---- stats(), listen(), fork(), connect() --------------------------------------
{
  const hub = new IpcMain();
  const s = hub.stats();
  const sent: number = s.in.send.messages + s.out.result.bytes + s.messagesIn + s.queueDepth;
  void sent;
  // @ts-expect-error not a kind main receives
  void s.in.message;
  void (async () => {
    const { address, token } = await hub.listen({ maxFrameSize: 1 << 20 });
    const wc = await hub.fork(new URL('file:///child.js'), ['--flag'], { stdio: 'inherit' });
    const pid: number | undefined = wc.process?.pid;
    void pid;
    const r = await connect(address, { token, timeout: 5000 });
    r.send('x');
    hub.unref().ref();
  })();
}

// ---- renderer-side handlers see a signal -------------------------------------
ipcRenderer.handle('with-signal', (event, ms: number) => {
  const s: AbortSignal = event.signal;
  const r: IpcRenderer = event.sender;
  return s.aborted ? 0 : ms + (r ? 1 : 0);
});

// ---- message ports (API.md §8) ------------------------------------------------
{
  const { port1, port2 } = new MessageChannelMain();
  port1.on('message', (e) => {
    const d: any = e.data;
    const more: MessagePortMain[] = e.ports;
    // @ts-expect-error ports are MessagePortMain, not strings
    const wrong: string[] = e.ports;
    void [d, more, wrong];
  });
  port1.once('close', () => {});
  port1.start();
  port2.postMessage({ hello: 1 }, [new MessageChannelMain().port1]);
  port2.close();
  // @ts-expect-error a transfer list is an array
  port2.postMessage('x', 'not a list');

  const ch = new MessageChannel();
  const p: MessagePort = ch.port1;
  p.onmessage = (e) => {
    const back: ReadonlyArray<MessagePort> = e.ports;
    back[0]?.postMessage(e.data, { transfer: [] });
  };
  p.addEventListener('message', (e) => void e.data);
  p.addEventListener('close', () => {});
  ch.port2.postMessage('x', [port1]);

  ipcRenderer.postMessage('port', 'hi', [ch.port2]);
  ipcMain.on('port', (event) => {
    const got: MessagePortMain[] = event.ports;
    event.sender.postMessage('back', 'hello', got);
  });
}
