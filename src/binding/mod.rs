//! The napi layer: the only module that says `#[napi]`.
//!
//! Thin by rule: each method converts its arguments, calls one core function
//! and converts the result. Normal-flow outcomes ("disconnected", "no such
//! renderer") come back as values (`false`, `null`), not exceptions; the JS
//! layer turns them into the exact Electron texts and `code`s of API.md.
//! Every export is `catch_unwind`: a Rust panic becomes a JS error, never an
//! abort.

mod doorbell;
mod hub;
mod registry;
mod renderer;

use napi::bindgen_prelude::*;

use crate::wire;

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
) -> Result<Vec<u8>> {
  let p = payload.as_bytes();
  wire::check_len(channel.len(), p.len(), u32::MAX as usize)
    .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?;
  Ok(wire::encode(
    kind as u8,
    codec as u8,
    renderer,
    request,
    channel.as_bytes(),
    p,
  ))
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
