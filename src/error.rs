//! The core's error type: one variant per error `code` that JavaScript sees
//! (docs/api.md "Error codes"). The binding turns it into a JS error in one
//! place (`binding::to_js`), whose `code` is [`IpcError::code`].
//!
//! Rare paths only; "the queue is empty" or "read more bytes" are ordinary
//! values elsewhere, not errors.

use std::fmt;

/// An error from the core. `code()` is the `err.code` JavaScript gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpcError {
  /// The other side (hub or renderer) is gone: `IPC_DISCONNECTED`.
  Disconnected,
  /// No hub with this id lives in the process: `IPC_NO_HUB`.
  NoHub(u64),
  /// The renderer this frame was addressed to is gone: `IPC_NO_RENDERER`.
  NoRenderer(u32),
  /// `handle()` on a channel that already has a handler (Electron's text).
  SecondHandler(String),
  /// A frame larger than the configured limit: `IPC_FRAME_TOO_LARGE`.
  FrameTooLarge { len: usize, limit: usize },
  /// Bytes that are not a valid frame: `IPC_BAD_FRAME`.
  BadFrame(&'static str),
  /// The main process refused the token: `IPC_AUTH_FAILED`.
  AuthFailed,
  /// The other end is not an ipc-main hub of this protocol, or refused for
  /// another reason: `IPC_PROTOCOL`.
  Protocol(String),
  /// `listen()` on a hub that already listens: `IPC_ALREADY_LISTENING`.
  AlreadyListening,
  /// An OS error, with Node's name for it as the code (`ENOENT`,
  /// `ECONNREFUSED`, `EADDRINUSE`, ...), as `net` reports them.
  Io {
    /// Node's `code` (`ENOENT`, ...), or `EIO` when it has no name here.
    code: &'static str,
    /// The OS's text.
    message: String,
  },
}

impl IpcError {
  /// An OS error, named as Node names it.
  #[cfg(unix)]
  pub fn io(e: &std::io::Error) -> Self {
    IpcError::Io {
      code: crate::transport::io_code(e),
      message: e.to_string(),
    }
  }
}

impl IpcError {
  /// The `code` property of the JavaScript error.
  pub fn code(&self) -> &'static str {
    match self {
      IpcError::Disconnected => "IPC_DISCONNECTED",
      IpcError::NoHub(_) => "IPC_NO_HUB",
      IpcError::NoRenderer(_) => "IPC_NO_RENDERER",
      IpcError::SecondHandler(_) => "IPC_SECOND_HANDLER",
      IpcError::FrameTooLarge { .. } => "IPC_FRAME_TOO_LARGE",
      IpcError::BadFrame(_) => "IPC_BAD_FRAME",
      IpcError::AuthFailed => "IPC_AUTH_FAILED",
      IpcError::Protocol(_) => "IPC_PROTOCOL",
      IpcError::AlreadyListening => "IPC_ALREADY_LISTENING",
      IpcError::Io { code, .. } => code,
    }
  }
}

impl fmt::Display for IpcError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match self {
      IpcError::Disconnected => f.write_str("IPC channel disconnected"),
      IpcError::NoHub(id) => write!(f, "No IpcMain #{id} in this process"),
      IpcError::NoRenderer(id) => write!(f, "No renderer #{id}"),
      IpcError::SecondHandler(ch) => {
        write!(f, "Attempted to register a second handler for '{ch}'")
      }
      IpcError::FrameTooLarge { len, limit } => {
        write!(f, "Frame of {len} bytes exceeds the limit of {limit} bytes")
      }
      IpcError::BadFrame(why) => write!(f, "Malformed frame: {why}"),
      IpcError::AuthFailed => f.write_str("the main process refused the token"),
      IpcError::Protocol(why) => f.write_str(why),
      IpcError::AlreadyListening => f.write_str("already listening"),
      IpcError::Io { message, .. } => f.write_str(message),
    }
  }
}

impl std::error::Error for IpcError {}

/// The core's result alias.
pub type Result<T, E = IpcError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn every_variant_has_its_code() {
    let cases = [
      (IpcError::Disconnected, "IPC_DISCONNECTED"),
      (IpcError::NoHub(1), "IPC_NO_HUB"),
      (IpcError::NoRenderer(1), "IPC_NO_RENDERER"),
      (IpcError::SecondHandler("c".into()), "IPC_SECOND_HANDLER"),
      (
        IpcError::FrameTooLarge { len: 2, limit: 1 },
        "IPC_FRAME_TOO_LARGE",
      ),
      (IpcError::BadFrame("x"), "IPC_BAD_FRAME"),
      (IpcError::AuthFailed, "IPC_AUTH_FAILED"),
      (IpcError::Protocol("x".into()), "IPC_PROTOCOL"),
      (IpcError::AlreadyListening, "IPC_ALREADY_LISTENING"),
    ];
    for (e, code) in cases {
      assert_eq!(e.code(), code, "{e}");
    }
  }

  #[cfg(unix)]
  #[test]
  fn io_errors_carry_node_names() {
    let e = IpcError::io(&std::io::Error::from_raw_os_error(libc::ENOENT));
    assert_eq!(e.code(), "ENOENT");
    let e = IpcError::io(&std::io::Error::from_raw_os_error(libc::ECONNREFUSED));
    assert_eq!(e.code(), "ECONNREFUSED");
  }
}
