//! The core's error type: one variant per error `code` that JavaScript sees.
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
    }
  }
}

impl std::error::Error for IpcError {}

/// The core's result alias.
pub type Result<T, E = IpcError> = std::result::Result<T, E>;
