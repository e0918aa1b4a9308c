//! The napi layer: the only module that says `#[napi]`.
//!
//! Thin by rule: each method converts its arguments, calls one core function
//! and converts the result. Normal-flow outcomes ("disconnected", "no such
//! renderer") come back as values (`false`, `null`), not exceptions; the JS
//! layer turns them into the exact Electron texts and `code`s of API.md.
//! A core failure ([`IpcError`]) becomes a JS error in one place, [`to_js`]:
//! its `code` is the one docs/api.md lists. Every export is `catch_unwind`:
//! a Rust panic becomes a JS error, never an abort.

// `cargo test` builds this layer too; its exported functions are called
// only from JavaScript, so they look unused there.
#![cfg_attr(test, allow(dead_code))]

mod doorbell;
mod hub;
mod ports;
mod registry;
mod renderer;
#[cfg(unix)]
mod socket;
#[cfg(unix)]
mod uv;

use std::borrow::Cow;

use napi::bindgen_prelude::*;

use crate::error::{IpcError, Result as CoreResult};
use crate::wire;

/// The `code` of an error the binding throws: an [`IpcError::code`], or
/// napi's own status name for a failure of napi itself.
pub struct Code(Cow<'static, str>);

impl AsRef<str> for Code {
  fn as_ref(&self) -> &str {
    &self.0
  }
}

/// The one conversion of a core failure into a JS error: `err.code` is
/// [`IpcError::code`], `err.message` its text.
pub(crate) fn to_js(e: IpcError) -> Error<Code> {
  Error::new(Code(Cow::Borrowed(e.code())), e.to_string())
}

/// A failure of napi itself (allocating a buffer, making a threadsafe
/// function), keeping napi's status as the code.
pub(crate) fn from_napi(e: Error) -> Error<Code> {
  Error::new(Code(Cow::Owned(e.status.as_ref().to_owned())), e.reason)
}

/// A JS value for an error that a promise resolves with instead of
/// rejecting (an `AsyncTask` can only reject with a napi status): JS throws
/// it. Made by [`to_js`], so it carries the same code.
pub struct JsFailure(pub(crate) Error<Code>);

impl TypeName for JsFailure {
  fn type_name() -> &'static str {
    "Error"
  }

  fn value_type() -> ValueType {
    ValueType::Object
  }
}

impl ToNapiValue for JsFailure {
  unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
    unsafe { ToNapiValue::to_napi_value(env, val.0) }
  }
}

/// A frame's payload as JS hands it over: a JSON string or encoded bytes.
pub(crate) enum Payload<'a> {
  Str(String),
  Bytes(&'a [u8]),
}

impl Payload<'_> {
  fn as_bytes(&self) -> &[u8] {
    match self {
      Payload::Str(s) => s.as_bytes(),
      Payload::Bytes(b) => b,
    }
  }
}

/// Encodes one frame, refusing one over the 4 GiB the header can express.
pub(crate) fn frame(
  kind: u32,
  codec: u32,
  renderer: u32,
  request: u32,
  channel: &str,
  payload: &Payload<'_>,
) -> CoreResult<Vec<u8>> {
  frame_within(
    kind,
    codec,
    renderer,
    request,
    channel,
    payload,
    u32::MAX as usize,
  )
}

/// As [`frame`], refusing one over `limit` bytes (what the peer accepts).
pub(crate) fn frame_within(
  kind: u32,
  codec: u32,
  renderer: u32,
  request: u32,
  channel: &str,
  payload: &Payload<'_>,
  limit: usize,
) -> CoreResult<Vec<u8>> {
  let p = payload.as_bytes();
  wire::check_len(channel.len(), p.len(), limit)?;
  Ok(wire::encode(
    kind as u8,
    codec as u8,
    renderer,
    request,
    channel.as_bytes(),
    p,
  ))
}

/// Checks a batch of frames a renderer's JS wrote back to back: whole
/// frames, each a kind a renderer sends (port frames included: a child's
/// ports talk through its socket), none over `limit`.
pub(crate) fn check_batch(mut batch: &[u8], limit: usize) -> CoreResult<()> {
  while !batch.is_empty() {
    match wire::parse(batch, limit)? {
      Some((f, n))
        if (f.kind < wire::kind::MESSAGE && f.kind != wire::kind::CONNECT)
          || f.kind == wire::kind::PORT_MESSAGE
          || f.kind == wire::kind::PORT_CLOSE =>
      {
        batch = &batch[n..]
      }
      Some(_) => {
        return Err(IpcError::BadFrame(
          "a frame of a kind a renderer may not send",
        ))
      }
      None => return Err(IpcError::BadFrame("a truncated frame")),
    }
  }
  Ok(())
}

/// Counts what a renderer queued quietly since its last flush, so a long
/// synchronous burst of sends is handed over in pieces while it is still
/// being produced (the receiver works in parallel) instead of all at once
/// when the burst ends.
#[derive(Default)]
pub(crate) struct Burst {
  frames: std::cell::Cell<u32>,
  bytes: std::cell::Cell<usize>,
}

impl Burst {
  /// Frames, or bytes, after which a burst is flushed early.
  const FRAMES: u32 = 256;
  const BYTES: usize = 256 * 1024;

  /// Records one queued frame of `len` bytes; `true` when it is time to flush.
  pub(crate) fn add(&self, len: usize) -> bool {
    let frames = self.frames.get() + 1;
    let bytes = self.bytes.get() + len;
    if frames >= Self::FRAMES || bytes >= Self::BYTES {
      self.reset();
      return true;
    }
    self.frames.set(frames);
    self.bytes.set(bytes);
    false
  }

  /// A flush happened.
  pub(crate) fn reset(&self) {
    self.frames.set(0);
    self.bytes.set(0);
  }
}

/// Frames at least this large are handed to JS alone, as an external buffer
/// (no copy into a batch). One per drain call, so the loop turns between
/// them and Node frees them (its finalizers wait for a loop turn).
const LARGE_FRAME: usize = 64 * 1024;

/// Drains `inbox` for JS: one large frame alone, or a copied batch; `null`
/// when empty. `release` is called when the inbox drained empty.
pub(crate) fn drain_inbox<'env>(
  env: &'env Env,
  inbox: &crate::queue::Inbox,
  scratch: &mut Vec<u8>,
  max_frames: u32,
  max_bytes: u32,
  release: impl FnOnce(),
) -> Result<Option<Either<BufferSlice<'env>, Buffer>>> {
  if let Some((frame, more)) = inbox.pop_large(LARGE_FRAME) {
    if !more {
      release();
    }
    return Ok(Some(Either::B(Buffer::from(frame))));
  }
  scratch.clear();
  let d = inbox.drain_into(scratch, max_frames as usize, max_bytes as usize);
  if !d.more {
    release();
  }
  let out = batch_to_js(env, scratch)?.map(Either::A);
  if scratch.capacity() > 1 << 20 {
    *scratch = Vec::new();
  }
  Ok(out)
}

/// Copies a drained batch into a fresh JS Buffer (copying, not an external
/// buffer: Node 20 frees external buffers only when the loop turns, and
/// inline drains can make many in one turn).
pub(crate) fn batch_to_js<'env>(env: &'env Env, batch: &[u8]) -> Result<Option<BufferSlice<'env>>> {
  if batch.is_empty() {
    return Ok(None);
  }
  BufferSlice::copy_from(env, batch).map(Some)
}
