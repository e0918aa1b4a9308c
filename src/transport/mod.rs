//! The socket transport: child processes (or any local process holding the
//! token) are renderers over a Unix domain socket.
//!
//! - [`server`]: a hub's listener; one task per connection reads frames into
//!   the hub's inbox, and the hub writes to the connection through its
//!   outbox ([`crate::connection::Conn`]).
//! - [`client`]: the renderer end: a blocking handshake (so a child's
//!   `ipcRenderer` can be connected synchronously), then a reader task that
//!   routes main's frames to the renderer's inbox or a blocked `sendSync`.
//!
//! The handshake: the client's first frame is a `CONNECT` frame whose JSON
//! payload carries the protocol version and the token; the server answers
//! with a `CONNECT` frame (the renderer id it assigned, its pid and frame
//! limit) or a `CLOSED` frame naming the error, then closes. Nothing reaches
//! the hub before the token checked out.
//!
//! All IO runs on one small process-wide tokio runtime, started on first use.

pub mod client;
pub mod server;

use std::sync::LazyLock;
use std::time::Duration;

use tokio::runtime::Handle;

/// The socket protocol version in the handshake.
pub const PROTOCOL: u64 = 1;
/// The largest handshake frame accepted before authentication.
pub const HANDSHAKE_LIMIT: usize = 64 * 1024;
/// How long a new connection may take to send its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

static RUNTIME: LazyLock<Handle> = LazyLock::new(|| {
  // One thread drives every connection of the process: a current-thread
  // runtime wakes straight into the task whose socket is ready (measured:
  // fewer context switches per round trip than a one-worker multi-thread
  // runtime).
  let rt = tokio::runtime::Builder::new_current_thread()
    .enable_io()
    .enable_time()
    .build()
    .expect("ipc-main: cannot start the IO runtime");
  let handle = rt.handle().clone();
  std::thread::Builder::new()
    .name("ipc-main-io".into())
    .spawn(move || rt.block_on(std::future::pending::<()>()))
    .expect("ipc-main: cannot start the IO thread");
  handle
});

/// The IO runtime.
pub fn runtime() -> &'static Handle {
  &RUNTIME
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
  if a.len() != b.len() {
    return false;
  }
  let mut diff = 0u8;
  for (x, y) in a.iter().zip(b) {
    diff |= x ^ y;
  }
  // Keep the comparison from being turned into an early exit.
  std::hint::black_box(diff) == 0
}

/// Node's name for an IO error (`ENOENT`, ...), as `net` reports them.
pub fn io_code(e: &std::io::Error) -> &'static str {
  use std::io::ErrorKind as K;
  match e.raw_os_error() {
    Some(libc::ENOENT) => "ENOENT",
    Some(libc::ECONNREFUSED) => "ECONNREFUSED",
    Some(libc::EADDRINUSE) => "EADDRINUSE",
    Some(libc::EACCES) => "EACCES",
    Some(libc::EPERM) => "EPERM",
    Some(libc::ENOTSOCK) => "ENOTSOCK",
    Some(libc::ENAMETOOLONG) => "ENAMETOOLONG",
    Some(libc::ECONNRESET) => "ECONNRESET",
    Some(libc::ENOTDIR) => "ENOTDIR",
    Some(libc::EINVAL) => "EINVAL",
    _ => match e.kind() {
      K::TimedOut | K::WouldBlock => "ETIMEDOUT",
      K::InvalidInput => "EINVAL",
      K::UnexpectedEof => "ECONNRESET",
      _ => "EIO",
    },
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn secrets_compare_whole() {
    assert!(constant_time_eq(b"abcd", b"abcd"));
    assert!(!constant_time_eq(b"abcd", b"abce"));
    assert!(!constant_time_eq(b"abcd", b"abc"));
    assert!(constant_time_eq(b"", b""));
  }
}
