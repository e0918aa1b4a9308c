//! The napi layer: the only module that says `#[napi]`.
//!
//! Thin by rule: each method converts its arguments, calls one core function
//! and converts the result (routing and drain policy live in `route` and
//! `queue`). Normal-flow outcomes ("disconnected", "no such
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
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;
pub(crate) use napi::{JsString, JsValue};

use crate::error::IpcError;
use crate::queue::{Inbox, Lent, Limits, Taken};
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

/// A napi failure of the binding's own making (a frame writer's bug, such
/// as a kind its writer does not send), with napi's `InvalidArg` code.
pub(crate) fn invalid_arg(why: &str) -> Error<Code> {
  from_napi(Error::new(Status::InvalidArg, why))
}

/// A frame's payload as JS hands it over: a JSON string or encoded bytes.
pub(crate) type JsPayload<'a> = Either<JsString<'a>, &'a [u8]>;

/// The payload codec whose bytes are UTF-8 text (JSON): a `sendSync`
/// answer in it is returned to JS as a string, not as bytes to decode.
const TEXT_CODEC: u8 = 1;

/// The UTF-8 length of a JS string.
fn utf8_len(env: &Env, s: &JsString<'_>) -> Result<usize, Code> {
  let mut len = 0;
  // SAFETY: a live string value of this env, on its thread.
  check_status!(unsafe {
    sys::napi_get_value_string_utf8(env.raw(), s.raw(), ptr::null_mut(), 0, &mut len)
  })
  .map_err(from_napi)?;
  Ok(len)
}

/// Appends a JS string's UTF-8 (`len` bytes, from [`utf8_len`]) to `out`,
/// written there by V8 itself: no intermediate copy.
fn append_utf8(env: &Env, s: &JsString<'_>, len: usize, out: &mut Vec<u8>) -> Result<(), Code> {
  // V8 writes a NUL after the text.
  out.reserve(len + 1);
  let at = out.len();
  let mut written = 0;
  // SAFETY: `out` has `len + 1` spare bytes at `at`; V8 writes at most that
  // many and reports how many text bytes it wrote (all initialized).
  check_status!(unsafe {
    sys::napi_get_value_string_utf8(
      env.raw(),
      s.raw(),
      out.as_mut_ptr().add(at).cast(),
      len + 1,
      &mut written,
    )
  })
  .map_err(from_napi)?;
  unsafe { out.set_len(at + written.min(len)) };
  if written != len {
    return Err(invalid_arg("a string changed length while encoded"));
  }
  Ok(())
}

/// Encodes one frame, refusing one over `limit` bytes (what the peer
/// accepts; never more than the 4 GiB the header can express). The payload
/// is copied once, from JS into the frame.
#[allow(clippy::too_many_arguments)]
pub(crate) fn frame_from_js(
  env: &Env,
  kind: u32,
  codec: u32,
  renderer: u32,
  request: u32,
  channel: &str,
  payload: &JsPayload<'_>,
  limit: usize,
) -> Result<Vec<u8>, Code> {
  let limit = limit.min(u32::MAX as usize);
  let (kind, codec, ch) = (kind as u8, codec as u8, channel.as_bytes());
  match payload {
    Either::B(bytes) => {
      wire::check_len(ch.len(), bytes.len(), limit).map_err(to_js)?;
      Ok(wire::encode(kind, codec, renderer, request, ch, bytes))
    }
    Either::A(s) => {
      let len = utf8_len(env, s)?;
      wire::check_len(ch.len(), len, limit).map_err(to_js)?;
      let mut f = Vec::with_capacity(wire::HEADER_LEN + ch.len() + len + 1);
      wire::encode_head_into(&mut f, kind, codec, renderer, request, ch, len);
      append_utf8(env, s, len, &mut f)?;
      Ok(f)
    }
  }
}

/// A `sendSync` answer as the waiting renderer takes it: the codec byte,
/// then the payload, copied once from JS.
pub(crate) fn tagged_from_js(
  env: &Env,
  codec: u32,
  payload: &JsPayload<'_>,
) -> Result<Vec<u8>, Code> {
  match payload {
    Either::B(bytes) => {
      let mut v = Vec::with_capacity(1 + bytes.len());
      v.push(codec as u8);
      v.extend_from_slice(bytes);
      Ok(v)
    }
    Either::A(s) => {
      let len = utf8_len(env, s)?;
      let mut v = Vec::with_capacity(2 + len);
      v.push(codec as u8);
      append_utf8(env, s, len, &mut v)?;
      Ok(v)
    }
  }
}

/// A `sendSync` answer for JS: a string for text (one decode, no Buffer),
/// else the tagged bytes in a Buffer (codec byte first).
pub(crate) fn reply_to_js<'env>(
  env: &'env Env,
  reply: &[u8],
) -> Result<Either<JsString<'env>, BufferSlice<'env>>, Code> {
  if reply.first() == Some(&TEXT_CODEC) {
    if let Ok(text) = std::str::from_utf8(&reply[1..]) {
      return env.create_string(text).map(Either::A).map_err(from_napi);
    }
  }
  BufferSlice::copy_from(env, reply)
    .map(Either::B)
    .map_err(from_napi)
}

/// Large frames lent to JS as views, process-wide (see [`Lent`]).
static LENT: Lent = Lent::new();

/// What a drain hands JS: the length of the batch copied into JS's own
/// receive buffer, or a Buffer of its own (a large frame's view, or a batch
/// too big for the receive buffer).
pub(crate) type Drained<'env> = Option<Either<u32, BufferSlice<'env>>>;

/// Drains `inbox` for JS, by the policy of [`Inbox::take`]: a large frame
/// alone, as a view of the frame itself (no copy; copied only while too
/// many views are alive), or a batch of frames copied once, into `recv`
/// (JS's reusable receive buffer: no Buffer made per batch) when it fits,
/// else into a fresh Buffer; `null` when empty. `delivered` sees the bytes
/// handed over; `release` runs when the inbox drained empty. When frames
/// remain the inbox rang again, so one call per doorbell is enough.
#[allow(clippy::too_many_arguments)]
pub(crate) fn drain_inbox<'env>(
  env: &'env Env,
  inbox: &Inbox,
  taken: &mut Vec<Vec<u8>>,
  max_frames: u32,
  max_bytes: u32,
  recv: &mut [u8],
  delivered: impl FnOnce(&[u8]),
  release: impl FnOnce(),
) -> Result<Drained<'env>, Code> {
  drain_napi(
    env, inbox, taken, max_frames, max_bytes, recv, delivered, release,
  )
  .map_err(from_napi)
}

#[allow(clippy::too_many_arguments)]
fn drain_napi<'env>(
  env: &'env Env,
  inbox: &Inbox,
  taken: &mut Vec<Vec<u8>>,
  max_frames: u32,
  max_bytes: u32,
  recv: &mut [u8],
  delivered: impl FnOnce(&[u8]),
  release: impl FnOnce(),
) -> Result<Drained<'env>> {
  let limits = Limits {
    frames: max_frames.max(1) as usize,
    bytes: max_bytes as usize,
  };
  let (what, more) = inbox.take(taken, limits);
  if !more {
    release();
  }
  match what {
    Taken::Empty => Ok(None),
    Taken::Large(mut frame) => {
      delivered(&frame);
      let len = frame.len();
      if !LENT.try_lend(len) {
        return BufferSlice::copy_from(env, &frame).map(|b| Some(Either::B(b)));
      }
      let data = frame.as_mut_ptr();
      // SAFETY: `data` points at `len` bytes owned by `frame`, which moves
      // into the finalizer (its heap buffer does not move) and is freed
      // there, after JS dropped the Buffer.
      unsafe {
        BufferSlice::from_external(env, data, len, frame, |_, frame: Vec<u8>| {
          LENT.give_back(frame.len());
        })
      }
      .map(|b| Some(Either::B(b)))
    }
    Taken::Batch(bytes) if bytes <= recv.len() => {
      let mut at = 0;
      for f in taken.drain(..) {
        recv[at..at + f.len()].copy_from_slice(&f);
        at += f.len();
      }
      delivered(&recv[..bytes]);
      Ok(Some(Either::A(bytes as u32)))
    }
    Taken::Batch(bytes) => {
      let mut data = ptr::null_mut();
      let mut value = ptr::null_mut();
      // SAFETY: a fresh Buffer of `bytes` bytes (uninitialized), filled
      // below before JS sees it.
      check_status!(unsafe { sys::napi_create_buffer(env.raw(), bytes, &mut data, &mut value) })?;
      let out = unsafe { std::slice::from_raw_parts_mut(data.cast::<u8>(), bytes) };
      let mut at = 0;
      for f in taken.drain(..) {
        out[at..at + f.len()].copy_from_slice(&f);
        at += f.len();
      }
      delivered(out);
      if taken.capacity() > 4096 {
        *taken = Vec::new();
      }
      unsafe { BufferSlice::from_napi_value(env.raw(), value) }.map(|b| Some(Either::B(b)))
    }
  }
}
