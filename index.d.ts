/// <reference types="node" />
// Type definitions for ipc-main: Electron's ipcMain / ipcRenderer for plain Node.js.
//
// Design notes (see /work/shared/API.md §1):
// - Listener and handler parameters are inferred under --strict.
// - Electron's own event objects (Electron.IpcMainEvent, Electron.IpcMainInvokeEvent,
//   Electron.IpcRendererEvent) must be assignable to ours. So the exported event
//   interfaces are structural supertypes of Electron's: each is generic in its
//   `sender`, defaulting to a "Like" interface that holds only what Electron's
//   object has too, and every ipc-main extra that Electron lacks is optional.
//   What ipc-main itself passes to listeners is the richer instantiation
//   (`IpcMainEvent<WebContents>`, `IpcRendererEvent<IpcRenderer>`, ...), so
//   `event.sender.invoke(...)` and `event.signal.aborted` type-check there.

import { EventEmitter } from 'events';
import type { ChildProcess, ForkOptions } from 'child_process';
import type { Worker, WorkerOptions } from 'worker_threads';

// ---------------------------------------------------------------------------
// Small shared shapes
// ---------------------------------------------------------------------------

/** Options accepted by `invokeWithOptions` (ipc-main extension). */
export interface InvokeOptions {
  /** Reject with an error whose `code` is `'IPC_TIMEOUT'` after this many milliseconds. */
  timeout?: number;
  /** Abort the call: the promise rejects with an `AbortError` (`code: 'ABORT_ERR'`) and the handler's `event.signal` aborts. */
  signal?: AbortSignal;
}

/**
 * What a failed `invoke` / `invokeWithOptions` / `wc.invoke` rejects with
 * (ipc-main extension; everything but `message` and `name` is absent on
 * Electron's plain `Error`). The message keeps Electron's form,
 * `Error invoking remote method '<channel>': <String(err)>`; on top of it the
 * thrown error's shape is carried: its `code`, its own enumerable fields,
 * its `cause` chain (rebuilt as Errors), its custom `name` (a built-in
 * `TypeError` & co. keep Electron's `'Error'`), and `remoteStack`. Timeouts
 * reject with `code: 'IPC_TIMEOUT'`, aborts with an `AbortError`
 * (`code: 'ABORT_ERR'`), a peer that went away with `code: 'IPC_DISCONNECTED'`.
 */
export interface IpcInvokeError extends Error {
  /** The thrown error's `code`, or `'IPC_TIMEOUT'`, `'ABORT_ERR'`, `'IPC_DISCONNECTED'`. */
  code?: unknown;
  /** The stack of the thrown error, from the side that threw it. */
  remoteStack?: string;
  /** What was thrown when it was not an Error (a string, a plain object, ...), cloned. */
  remoteValue?: unknown;
  /** The thrown error's `cause`, cloned (an Error cause comes back as an Error); an AbortError's is the signal's reason. */
  cause?: unknown;
  /** The thrown error's own enumerable fields (and a thrown plain object's), cloned; uncloneable ones are skipped. */
  [field: string]: unknown;
}

/** Options for `IpcMain.listen()`. */
export interface ListenOptions {
  /** Unix socket path (named pipe on Windows); default: a socket in a private 0700 directory under the OS temp dir. */
  path?: string;
  /** Largest accepted frame in bytes; a larger frame closes that connection (default 256 MiB). */
  maxFrameSize?: number;
  /**
   * Socket renderers are not read while this hub's queue of undelivered messages holds more bytes
   * (default 64 MiB; an integer >= 1024, or `Infinity` for no bound): the kernel pushes back and the
   * sending process buffers, as with `child_process` IPC.
   */
  maxQueueBytes?: number;
}

/** What `IpcMain.listen()` resolves with: pass both to `connect()` (or as `IPC_MAIN_ADDRESS` / `IPC_MAIN_TOKEN`). */
export interface ListenResult {
  /** The socket address renderers connect to. */
  address: string;
  /** The 256-bit random token every connection must present in its first frame. */
  token: string;
}

/** Options for `connect()`. */
export interface ConnectOptions {
  /** The token returned by `listen()`; a wrong or missing token rejects with `code: 'IPC_AUTH_FAILED'`. */
  token?: string;
  /** Milliseconds the handshake may take (default 10000). */
  timeout?: number;
}

/** Messages and encoded bytes of one kind of frame. */
export interface IpcCount {
  messages: number;
  bytes: number;
}

/** Counters returned by `IpcMain.stats()`; the named fields are always present, more may be added. */
export interface IpcStats {
  /** Messages renderers sent to this hub (every kind). */
  messagesIn: number;
  /** Their encoded bytes (an in-process renderer's clones count 0). */
  bytesIn: number;
  /** Messages this hub sent to renderers (every kind). */
  messagesOut: number;
  /** Their encoded bytes. */
  bytesOut: number;
  /** Renderer -> main, per kind. */
  in: {
    send: IpcCount;
    sendSync: IpcCount;
    invoke: IpcCount;
    connect: IpcCount;
    disconnect: IpcCount;
    invokeReply: IpcCount;
    invokeReplyError: IpcCount;
    cancel: IpcCount;
  };
  /** Main -> renderer, per kind. */
  out: {
    message: IpcCount;
    result: IpcCount;
    resultError: IpcCount;
    syncReply: IpcCount;
    invokeRenderer: IpcCount;
    closed: IpcCount;
    cancelRenderer: IpcCount;
  };
  /** Frames queued for this hub and not yet dispatched. */
  queueDepth: number;
  /** Bytes of those frames. */
  queueBytes: number;
  /** Renderers currently attached. */
  renderers: number;
  /** Message-port traffic of this process (every hub's), since it started. */
  ports: {
    /** Port frames main's Rust relays moved between a child process's socket and their peers (other threads, other children), without main's JavaScript. */
    relayed: number;
    /** Port frames from other threads or processes that main's JavaScript thread delivered to its own ports. */
    deliveredToJs: number;
  };
}

// ---------------------------------------------------------------------------
// Message ports (API.md §8)
// ---------------------------------------------------------------------------

/** The `'message'` event of a `MessagePortMain`: the cloned message and the ports transferred with it. */
export interface MessageEventMain {
  /** A structured clone of the posted message. */
  data: any;
  /** The ports transferred with it, as `MessagePortMain`s. */
  ports: MessagePortMain[];
}

/**
 * Electron's `MessagePortMain` (main side): an EventEmitter. Messages are queued until `start()`;
 * `'close'` is emitted when the other end is closed or its holder is gone.
 */
export interface MessagePortMain extends EventEmitter {
  /** A message from the other end (delivered once `start()` was called). */
  on(event: 'message', listener: (messageEvent: MessageEventMain) => void): this;
  /** The other end was closed or its holder is gone. */
  on(event: 'close', listener: () => void): this;
  /** EventEmitter fallback. */
  on(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** A message from the other end (the next one only). */
  once(event: 'message', listener: (messageEvent: MessageEventMain) => void): this;
  /** The other end was closed or its holder is gone. */
  once(event: 'close', listener: () => void): this;
  /** EventEmitter fallback. */
  once(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /**
   * Sends a structured clone of `message` to the other end, with the ports of `transfer` (neutered here).
   * Throws `An object could not be cloned.`, a `TypeError` for a non-port, a `DataCloneError` for the port
   * itself, a duplicate or an already transferred port; a closed or neutered port sends nothing.
   */
  postMessage(message: any, transfer?: Array<MessagePortMain | MessagePort>): void;
  /** Starts delivering messages (those queued so far first). */
  start(): void;
  /** Disentangles the pair: the other end gets `'close'`. */
  close(): void;
}

/** Electron's `MessageChannelMain`: two entangled `MessagePortMain`s. */
export declare class MessageChannelMain {
  constructor();
  readonly port1: MessagePortMain;
  readonly port2: MessagePortMain;
}

/** The `'message'` event of a renderer-side `MessagePort` (the DOM's `MessageEvent` fields). */
export interface PortMessageEvent extends Event {
  readonly type: 'message';
  /** A structured clone of the posted message. */
  readonly data: any;
  /** The ports transferred with it, as DOM-shaped `MessagePort`s. */
  readonly ports: ReadonlyArray<MessagePort>;
}

/** A listener of a DOM-shaped port: a function or an object with `handleEvent`. */
export type PortListener = ((event: any) => void) | { handleEvent(event: any): void };

/** `addEventListener` options (the DOM's). */
export interface PortListenerOptions {
  once?: boolean;
  capture?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

/** A renderer-side port, DOM-shaped (an `EventTarget`), as in Electron's renderer. */
export interface MessagePort extends EventTarget {
  /** Sends a structured clone of `message`, with the ports of `transfer` (an array, or `{ transfer }`). */
  postMessage(message: any, transfer?: Array<MessagePort | MessagePortMain> | { transfer?: Array<MessagePort | MessagePortMain> }): void;
  /** Starts delivering messages (setting `onmessage` does it too). */
  start(): void;
  /** Disentangles the pair: the other end gets `'close'`. */
  close(): void;
  /** The message handler; assigning it starts the port. */
  onmessage: ((this: MessagePort, event: PortMessageEvent) => any) | null;
  /** Never called (a clone made here always deserializes); present for the DOM shape. */
  onmessageerror: ((this: MessagePort, event: Event) => any) | null;
  /** Called when the other end is closed or its holder is gone. */
  onclose: ((this: MessagePort, event: Event) => any) | null;
  addEventListener(type: 'message', listener: (event: PortMessageEvent) => void, options?: PortListenerOptions | boolean): void;
  addEventListener(type: 'close', listener: (event: Event) => void, options?: PortListenerOptions | boolean): void;
  addEventListener(type: string, listener: PortListener | null, options?: PortListenerOptions | boolean): void;
  removeEventListener(type: 'message', listener: (event: PortMessageEvent) => void, options?: { capture?: boolean } | boolean): void;
  removeEventListener(type: 'close', listener: (event: Event) => void, options?: { capture?: boolean } | boolean): void;
  removeEventListener(type: string, listener: PortListener | null, options?: { capture?: boolean } | boolean): void;
}

/** The DOM's `MessageChannel`, for renderers: two entangled DOM-shaped `MessagePort`s. */
export declare class MessageChannel {
  constructor();
  readonly port1: MessagePort;
  readonly port2: MessagePort;
}

/** The sending frame of an `IpcMainEvent` (Electron's `WebFrameMain`, reduced to what ipc-main provides). */
export interface WebFrame {
  /** The renderer's OS process id. */
  readonly processId: number;
  /** The renderer's id within its process (equals the event's `frameId`). */
  readonly routingId: number;
  /** Sends a message to this frame's renderer (same as `sender.send`). */
  send(channel: string, ...args: any[]): void;
}

// ---------------------------------------------------------------------------
// Electron-compatible views ("Like" interfaces)
// ---------------------------------------------------------------------------

/** The part of a `WebContents` that Electron's `WebContents` has too; the default `sender` type of the event interfaces. */
export interface WebContentsLike extends EventEmitter {
  /** Unique positive integer id within this main. */
  readonly id: number;
  /** Sends a message to the renderer's `ipcRenderer` listeners. */
  send(channel: string, ...args: any[]): void;
  /** True once the renderer disconnected, exited or crashed. */
  isDestroyed(): boolean;
  /** True if the renderer's process died abnormally. */
  isCrashed(): boolean;
  /** `file://` URL of the renderer's entry script (`''` for an in-process renderer). */
  getURL(): string;
  /** The renderer's OS process id. */
  getOSProcessId(): number;
  /** The renderer's process id. */
  getProcessId(): number;
  /** The IPC scope of this renderer only (`webContents.ipc`). */
  readonly ipc: IpcMainLike;
}

/** The part of an `IpcRenderer` that Electron's `IpcRenderer` has too; the default `sender` type of `IpcRendererEvent`. */
export interface IpcRendererLike extends EventEmitter {
  /** Listens to messages from main on `channel`. */
  on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
  /** Listens to the next message from main on `channel` only. */
  once(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
  /** Alias of `on`. */
  addListener(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
  /** Removes a listener. */
  off(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
  /** Alias of `off`. */
  removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
  /** Removes the listeners of `channel`, or of every channel. */
  removeAllListeners(channel?: string): this;
  /** Sends an asynchronous message to main. */
  send(channel: string, ...args: any[]): void;
  /** Sends a synchronous message to main and returns the `event.returnValue` main set. */
  sendSync(channel: string, ...args: any[]): any;
  /** Calls main's handler for `channel` and resolves with its result. */
  invoke(channel: string, ...args: any[]): Promise<any>;
}

/** The event a main-side handler receives: with ipc-main's own `WebContents` sender, `signal` is always present. */
export type IpcMainHandlerEvent<Sender extends WebContentsLike = WebContents> =
  Sender extends WebContents
    ? IpcMainInvokeEvent<Sender> & { /** Aborts when the caller times out, aborts or disconnects. */ readonly signal: AbortSignal }
    : IpcMainInvokeEvent<Sender>;

/** An `IpcMain`-like scope: listeners and handlers (what `webContents.ipc` is, and what `IpcMain` implements). */
export interface IpcMainLike<Sender extends WebContentsLike = WebContentsLike> extends EventEmitter {
  /** Calls `listener(event, ...args)` for every message sent on `channel`. */
  on(channel: string, listener: (event: IpcMainEvent<Sender>, ...args: any[]) => void): this;
  /** EventEmitter fallback (symbol keys, untyped listeners). */
  on(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Calls `listener(event, ...args)` for the next message on `channel` only. */
  once(channel: string, listener: (event: IpcMainEvent<Sender>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  once(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Alias of `on`. */
  addListener(channel: string, listener: (event: IpcMainEvent<Sender>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  addListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Like `on`, but adds the listener first. */
  prependListener(channel: string, listener: (event: IpcMainEvent<Sender>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  prependListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Like `once`, but adds the listener first. */
  prependOnceListener(channel: string, listener: (event: IpcMainEvent<Sender>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  prependOnceListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes one registration of `listener` from `channel`. */
  off(channel: string, listener: (event: IpcMainEvent<Sender>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  off(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Alias of `off`. */
  removeListener(channel: string, listener: (event: IpcMainEvent<Sender>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  removeListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes the listeners of `channel`, or of every channel (including the built-in `'error'` guard). */
  removeAllListeners(channel?: string | symbol): this;
  /** Answers `invoke(channel, ...args)` with the handler's return value (or what its promise resolves to); throws if `channel` already has a handler. */
  handle(channel: string, listener: (event: IpcMainHandlerEvent<Sender>, ...args: any[]) => Promise<any> | any): void;
  /** Like `handle`, removed after the first invoke. */
  handleOnce(channel: string, listener: (event: IpcMainHandlerEvent<Sender>, ...args: any[]) => Promise<any> | any): void;
  /** Removes the handler of `channel`, if any. */
  removeHandler(channel: string): void;
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/** The event passed to main-side `on`/`once` listeners (Electron's `IpcMainEvent`). */
export interface IpcMainEvent<Sender extends WebContentsLike = WebContentsLike> {
  /** Origin kind: always `'frame'`. */
  type: 'frame';
  /** The sending renderer's OS process id. */
  processId: number;
  /** The sending renderer's id within its process. */
  frameId: number;
  /** The `WebContents` of the sending renderer. */
  sender: Sender;
  /** The sending frame; never `null` in ipc-main (Electron's can be, after navigation). */
  readonly senderFrame: Sender extends WebContents ? WebFrame : WebFrame | null;
  /** Ports transferred with the message (`wc`'s `ipcRenderer.postMessage`); `[]` for one sent without. */
  ports: MessagePortMain[];
  /** Set it to answer a `sendSync`; the first assignment wins; reading gives `undefined`. */
  returnValue: any;
  /** Sends a message back to the sender (same as `sender.send`). */
  reply(channel: string, ...args: any[]): void;
  /** Present for Electron compatibility; has no IPC effect. */
  preventDefault(): void;
  /** Whether `preventDefault()` was called. */
  readonly defaultPrevented: boolean;
}

/** The event passed to main-side `handle`/`handleOnce` handlers (Electron's `IpcMainInvokeEvent`). */
export interface IpcMainInvokeEvent<Sender extends WebContentsLike = WebContentsLike> {
  /** Origin kind: always `'frame'`. */
  type: 'frame';
  /** The calling renderer's OS process id. */
  processId: number;
  /** The calling renderer's id within its process. */
  frameId: number;
  /** The `WebContents` of the calling renderer. */
  sender: Sender;
  /** The calling frame; never `null` in ipc-main (Electron's can be, after navigation). */
  readonly senderFrame: Sender extends WebContents ? WebFrame : WebFrame | null;
  /** Aborts when the caller times out, aborts or disconnects (ipc-main extension; absent on Electron's events). */
  readonly signal?: AbortSignal;
  /** Present for Electron compatibility; has no IPC effect. */
  preventDefault(): void;
  /** Whether `preventDefault()` was called. */
  readonly defaultPrevented: boolean;
}

/**
 * The event passed to `ipcRenderer.handle` handlers: an `IpcRendererEvent` plus `signal`, which aborts
 * when main gives the call up (timeout, abort), main goes away, or this renderer is closed (ipc-main extension).
 */
export type IpcRendererHandlerEvent = IpcRendererEvent<IpcRenderer> & { readonly signal: AbortSignal };

/** The event passed to renderer-side listeners and handlers (Electron's `IpcRendererEvent`). */
export interface IpcRendererEvent<Sender extends IpcRendererLike = IpcRendererLike> {
  /** The `IpcRenderer` that received the message. */
  sender: Sender;
  /** Id of the sender: `0` (main); absent on Electron ≥ 28 events. */
  senderId?: number;
  /** Ports transferred with the message (main's `wc.postMessage`), DOM-shaped; `[]` for one sent without. */
  ports: any[];
}

// ---------------------------------------------------------------------------
// WebContents
// ---------------------------------------------------------------------------

/** Listener of a `WebContents`' `'ipc-message'` / `'ipc-message-sync'` events. */
export type IpcMessageListener = (event: IpcMainEvent<WebContents>, channel: string, ...args: any[]) => void;

/** Main's handle on one renderer (in-process, worker or child process): one object per renderer. */
export interface WebContents extends WebContentsLike {
  /** Unique positive integer id within this main. */
  readonly id: number;
  /** Sends a message to the renderer's `ipcRenderer` listeners; throws if destroyed. */
  send(channel: string, ...args: any[]): void;
  /**
   * Sends one message with ports (Electron's `webContents.postMessage`): the renderer's listener gets
   * `(event, message)` with the ports, DOM-shaped, in `event.ports`. Throws `Invalid value for transfer`
   * (a `TypeError`) for a bad list, a `DataCloneError` for a duplicate or transferred port, and
   * `An object could not be cloned.`.
   */
  postMessage(channel: string, message: any, transfer?: Array<MessagePortMain | MessagePort>): void;
  /**
   * Calls the renderer's `ipcRenderer.handle` handler for `channel` and resolves with its result (ipc-main extension);
   * fails as `ipcRenderer.invoke` does (an `IpcInvokeError`), and with `Error: Object has been destroyed` once destroyed.
   */
  invoke(channel: string, ...args: any[]): Promise<any>;
  /** `invoke` with a timeout and/or an AbortSignal (ipc-main extension); a late answer is dropped. */
  invokeWithOptions(channel: string, options: InvokeOptions, ...args: any[]): Promise<any>;
  /** True once the renderer disconnected, exited or crashed. */
  isDestroyed(): boolean;
  /** True if the renderer's process died abnormally (signal, or non-zero exit without `close()`). */
  isCrashed(): boolean;
  /** `file://` URL of the worker's or child's entry script; `''` for an in-process renderer. */
  getURL(): string;
  /** The renderer's OS process id. */
  getOSProcessId(): number;
  /** The renderer's process id (same as `getOSProcessId()`). */
  getProcessId(): number;
  /** The IPC scope of this renderer only: its listeners run before `ipcMain`'s, its handlers answer first. */
  readonly ipc: IpcMainLike<WebContents>;
  /** The child process, for a renderer started by `ipcMain.fork()`. */
  readonly process?: ChildProcess;
  /** The Worker, for a renderer started by `ipcMain.spawnWorker()`. */
  readonly worker?: Worker;

  /** Emitted for every `send` from this renderer, before `ipc` and `ipcMain` listeners. */
  on(event: 'ipc-message', listener: IpcMessageListener): this;
  /** Emitted for every `sendSync` from this renderer, before `ipc` and `ipcMain` listeners. */
  on(event: 'ipc-message-sync', listener: IpcMessageListener): this;
  /** Emitted once when the renderer goes away. */
  on(event: 'destroyed', listener: () => void): this;
  /** EventEmitter fallback. */
  on(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** See `on`. */
  once(event: 'ipc-message' | 'ipc-message-sync', listener: IpcMessageListener): this;
  /** See `on`. */
  once(event: 'destroyed', listener: () => void): this;
  /** EventEmitter fallback. */
  once(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** See `on`. */
  addListener(event: 'ipc-message' | 'ipc-message-sync', listener: IpcMessageListener): this;
  /** See `on`. */
  addListener(event: 'destroyed', listener: () => void): this;
  /** EventEmitter fallback. */
  addListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** See `on`. */
  prependListener(event: 'ipc-message' | 'ipc-message-sync', listener: IpcMessageListener): this;
  /** See `on`. */
  prependListener(event: 'destroyed', listener: () => void): this;
  /** EventEmitter fallback. */
  prependListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** See `on`. */
  prependOnceListener(event: 'ipc-message' | 'ipc-message-sync', listener: IpcMessageListener): this;
  /** See `on`. */
  prependOnceListener(event: 'destroyed', listener: () => void): this;
  /** EventEmitter fallback. */
  prependOnceListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes a listener. */
  off(event: 'ipc-message' | 'ipc-message-sync', listener: IpcMessageListener): this;
  /** Removes a listener. */
  off(event: 'destroyed', listener: () => void): this;
  /** EventEmitter fallback. */
  off(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes a listener. */
  removeListener(event: 'ipc-message' | 'ipc-message-sync', listener: IpcMessageListener): this;
  /** Removes a listener. */
  removeListener(event: 'destroyed', listener: () => void): this;
  /** EventEmitter fallback. */
  removeListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
}

// ---------------------------------------------------------------------------
// IpcMain
// ---------------------------------------------------------------------------

/** The main side: an EventEmitter of channels plus `invoke` handlers, and the hub renderers connect to. */
export declare class IpcMain extends EventEmitter implements IpcMainLike<WebContents> {
  /** Makes an isolated hub (tests, libraries); `ipcMain` is this environment's default one. */
  constructor();

  /** Calls `listener(event, ...args)` for every message sent on `channel`. */
  on(channel: string, listener: (event: IpcMainEvent<WebContents>, ...args: any[]) => void): this;
  /** EventEmitter fallback (symbol keys, untyped listeners). */
  on(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Calls `listener(event, ...args)` for the next message on `channel` only. */
  once(channel: string, listener: (event: IpcMainEvent<WebContents>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  once(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Alias of `on`. */
  addListener(channel: string, listener: (event: IpcMainEvent<WebContents>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  addListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Like `on`, but adds the listener first. */
  prependListener(channel: string, listener: (event: IpcMainEvent<WebContents>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  prependListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Like `once`, but adds the listener first. */
  prependOnceListener(channel: string, listener: (event: IpcMainEvent<WebContents>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  prependOnceListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes one registration of `listener` from `channel`. */
  off(channel: string, listener: (event: IpcMainEvent<WebContents>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  off(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Alias of `off`. */
  removeListener(channel: string, listener: (event: IpcMainEvent<WebContents>, ...args: any[]) => void): this;
  /** EventEmitter fallback. */
  removeListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes the listeners of `channel`, or of every channel (including the built-in `'error'` guard). */
  removeAllListeners(channel?: string | symbol): this;

  /**
   * Answers `invoke(channel, ...args)` with the handler's return value (or what its promise resolves to); throws if `channel` already has a handler.
   * An own property bound to this hub, as Electron's (so `{ ...ipcMain }.handle(...)` works).
   */
  handle: (channel: string, listener: (event: IpcMainHandlerEvent<WebContents>, ...args: any[]) => Promise<any> | any) => void;
  /** Like `handle`, removed after the first invoke; an own property bound to this hub, as `handle`. */
  handleOnce: (channel: string, listener: (event: IpcMainHandlerEvent<WebContents>, ...args: any[]) => Promise<any> | any) => void;
  /** Removes the handler of `channel`, if any. */
  removeHandler(channel: string): void;

  /** Makes another in-process renderer attached to this hub, with its own `WebContents`. */
  createRenderer(): IpcRenderer;
  /** Opens the local socket child processes connect to; resolves with its address and token. */
  listen(options?: ListenOptions): Promise<ListenResult>;
  /** Stops listening and disconnects every socket renderer; resolves when done. */
  close(): Promise<void>;
  /** Keeps the process alive while listening (the default). */
  ref(): this;
  /** Lets the process exit even while listening. */
  unref(): this;
  /** Starts a child Node process as a connected renderer (like `child_process.fork`), listening first if needed. */
  fork(modulePath: string | URL, args?: readonly string[], options?: ForkOptions): Promise<WebContents>;
  /** Starts a child Node process as a connected renderer, without arguments. */
  fork(modulePath: string | URL, options?: ForkOptions): Promise<WebContents>;
  /** Starts a `worker_threads` Worker as a connected renderer. */
  spawnWorker(filename: string | URL, options?: WorkerOptions): Promise<WebContents>;
  /** Message, byte, queue and renderer counters. */
  stats(): IpcStats;
  /** The socket address while listening, else `null` (sockets are not implemented yet: always `null`). */
  readonly address: string | null;
  /** `ipc-main-thread:<id>`: what a worker not started by `spawnWorker()` passes to `connect()`. */
  readonly threadAddress: string;
}

// ---------------------------------------------------------------------------
// IpcRenderer
// ---------------------------------------------------------------------------

/** Listener of renderer-side messages from main. */
export type IpcRendererListener = (event: IpcRendererEvent<IpcRenderer>, ...args: any[]) => void;

/** The renderer side: sends to main and receives main's messages as EventEmitter events. */
export interface IpcRenderer extends IpcRendererLike {
  /** Emitted once when the connection to main drops. */
  on(event: 'disconnected', listener: () => void): this;
  /** Listens to messages from main on `channel`. */
  on(channel: string, listener: IpcRendererListener): this;
  /** EventEmitter fallback (symbol keys, untyped listeners). */
  on(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Emitted once when the connection to main drops. */
  once(event: 'disconnected', listener: () => void): this;
  /** Listens to the next message from main on `channel` only. */
  once(channel: string, listener: IpcRendererListener): this;
  /** EventEmitter fallback. */
  once(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Emitted once when the connection to main drops. */
  addListener(event: 'disconnected', listener: () => void): this;
  /** Alias of `on`. */
  addListener(channel: string, listener: IpcRendererListener): this;
  /** EventEmitter fallback. */
  addListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Emitted once when the connection to main drops. */
  prependListener(event: 'disconnected', listener: () => void): this;
  /** Like `on`, but adds the listener first. */
  prependListener(channel: string, listener: IpcRendererListener): this;
  /** EventEmitter fallback. */
  prependListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Emitted once when the connection to main drops. */
  prependOnceListener(event: 'disconnected', listener: () => void): this;
  /** Like `once`, but adds the listener first. */
  prependOnceListener(channel: string, listener: IpcRendererListener): this;
  /** EventEmitter fallback. */
  prependOnceListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes a `'disconnected'` listener. */
  off(event: 'disconnected', listener: () => void): this;
  /** Removes a listener. */
  off(channel: string, listener: IpcRendererListener): this;
  /** EventEmitter fallback. */
  off(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes a `'disconnected'` listener. */
  removeListener(event: 'disconnected', listener: () => void): this;
  /** Alias of `off`. */
  removeListener(channel: string, listener: IpcRendererListener): this;
  /** EventEmitter fallback. */
  removeListener(eventName: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes the listeners of `channel`, or of every channel. */
  removeAllListeners(channel?: string | symbol): this;

  /** Sends an asynchronous message to main's `on` listeners. */
  send(channel: string, ...args: any[]): void;
  /**
   * Sends one message with ports (Electron's `ipcRenderer.postMessage`): main's listener gets
   * `(event, message)` with the ports, as `MessagePortMain`s, in `event.ports`.
   */
  postMessage(channel: string, message: any, transfer?: Array<MessagePort | MessagePortMain>): void;
  /** Sends a synchronous message (blocks) and returns the `event.returnValue` main set (`undefined` if none). */
  sendSync(channel: string, ...args: any[]): any;
  /** Calls main's handler for `channel` and resolves with its result; a failure rejects with an `IpcInvokeError`. */
  invoke(channel: string, ...args: any[]): Promise<any>;
  /** `invoke` with a timeout and/or an AbortSignal (ipc-main extension); main's `event.signal` aborts when this gives up. */
  invokeWithOptions(channel: string, options: InvokeOptions, ...args: any[]): Promise<any>;
  /** Answers main's `wc.invoke(channel, ...args)` (ipc-main extension); throws if `channel` already has a handler. */
  handle(channel: string, listener: (event: IpcRendererHandlerEvent, ...args: any[]) => Promise<any> | any): void;
  /** Like `handle`, removed after the first invoke. */
  handleOnce(channel: string, listener: (event: IpcRendererHandlerEvent, ...args: any[]) => Promise<any> | any): void;
  /** Removes the handler of `channel`, if any. */
  removeHandler(channel: string): void;
  /** Disconnects; main's `WebContents` emits `'destroyed'` and every later call throws. */
  close(): void;
}

// ---------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------

/** The `IpcMain` of this JS environment (thread), created on first use. */
export declare const ipcMain: IpcMain;

/** The `IpcRenderer` of this JS environment: connected to its parent main in a forked child or spawned worker (or the main at `IPC_MAIN_ADDRESS`; a refused connection gives a disconnected renderer, never a throw), else in-process. */
export declare const ipcRenderer: IpcRenderer;

/** Lookup of live renderers (Electron's `webContents` module). */
export declare const webContents: {
  /** Every live renderer of this environment's `ipcMain`. */
  getAllWebContents(): WebContents[];
  /** The renderer with this id, or `undefined`. */
  fromId(id: number): WebContents | undefined;
};

/** Connects a new renderer to the main listening at `address`; rejects with `code: 'IPC_AUTH_FAILED'` on a bad token. */
export declare function connect(address: string, options?: ConnectOptions): Promise<IpcRenderer>;
