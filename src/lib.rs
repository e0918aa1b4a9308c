//! `ipc-main`: Electron's `ipcMain` / `ipcRenderer` for plain Node.js.
//!
//! # Layout
//! Dependencies point down; only `binding` knows about N-API.
//!
//! - [`error`]: `IpcError`, one variant per error `code` of the public API.
//! - [`registry`]: listeners and handlers per channel, in EventEmitter order;
//!   generic over the listener handle, so it is tested without Node.
//! - [`wire`]: frames <-> bytes. No IO, no JS. The same frame layout is used
//!   for a hub's drained batches and on the socket.
//! - [`queue`]: one FIFO inbox of frames plus its doorbell: pushing from any
//!   thread rings at most once until the consumer drains.
//! - [`log`]: one-line stderr diagnostics that never panic and never block
//!   (a full non-blocking stderr pipe drops the line).
//! - [`hub`]: the process-wide table of hubs, renderer links, routing to a
//!   renderer's inbox, blocking sync waits, per-kind counters.
//! - [`route`]: a renderer's way to main (a hub here, or a socket) and the
//!   policy applied per batch: checks, early flush of long bursts, and the
//!   invokes in flight that keep a renderer's thread alive.
//! - [`ports`]: message-port routing: the process-wide table of port ends
//!   (peer, holder inbox, parked frames), so two threads holding a pair's
//!   ends talk without waking anyone else.
//! - [`connection`] (Unix): a buffered reader of whole frames, and one
//!   connected socket whose outbox is written from the flushing thread (a
//!   tokio task finishes what the socket could not take at once) and which
//!   its owner reads without blocking.
//! - [`transport`] (Unix): the socket transport: a hub's listener (accept
//!   and token handshake on one tokio IO thread, then reading handed to the
//!   hub's JS thread, paused at a queue bound), and the renderer's client.
//! - `binding`: the napi classes (`NativeRegistry`, `NativeHub`,
//!   `NativeRenderer`, on a hub or a socket route); argument checks and failures
//!   as values JS turns into errors with a `code`; sockets polled from a JS
//!   thread's libuv loop (`binding/uv.rs`).
#![deny(clippy::all)]

#[cfg(unix)]
pub mod connection;
pub mod error;
pub mod hub;
pub mod log;
pub mod ports;
pub mod queue;
pub mod registry;
pub mod route;
#[cfg(unix)]
pub mod transport;
pub mod wire;

#[cfg(feature = "napi")]
mod binding;

pub use error::{IpcError, Result};
