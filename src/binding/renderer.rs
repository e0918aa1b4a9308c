//! `NativeRenderer`: one renderer endpoint attached to a hub of this process
//! (the same thread or a worker thread): sends into the hub's inbox, blocks
//! for `sendSync`, and drains its own inbox of frames from main.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use super::doorbell::{SharedBell, TsfnBell};
use super::{frame, Payload};
use crate::hub::Hub;
use crate::queue::Inbox;
use crate::wire::kind;

/// How long a blocked `sendSync` spins before parking its thread.
const SYNC_SPIN: Duration = Duration::from_micros(40);

/// A renderer attached to a hub in this process.
#[napi]
pub struct NativeRenderer {
  hub: Arc<Hub>,
  id: u32,
  inbox: Arc<Inbox>,
  bell: Arc<TsfnBell>,
  scratch: Vec<u8>,
  burst: super::Burst,
  closed: bool,
}

impl NativeRenderer {
  fn push(
    &self,
    kind: u32,
    request: u32,
    channel: &str,
    codec: u32,
    p: &Payload<'_>,
  ) -> Result<bool> {
    if self.closed {
      return Ok(false);
    }
    let f = frame(kind, codec, self.id, request, channel, p)?;
    let len = f.len();
    // Rung by `flush()`, which JS schedules once per synchronous stretch,
    // or now if this stretch is long.
    let ok = self.hub.push_quiet(f).is_ok();
    if ok && self.burst.add(len) {
      let _ = self.hub.inbox.flush();
    }
    Ok(ok)
  }

  fn send_sync<'env>(
    &self,
    env: &'env Env,
    request: u32,
    channel: &str,
    codec: u32,
    p: &Payload<'_>,
  ) -> Result<Option<BufferSlice<'env>>> {
    if self.closed {
      return Ok(None);
    }
    let slot = match self.hub.begin_sync(self.id, request) {
      Ok(s) => s,
      Err(_) => return Ok(None),
    };
    let f = frame(kind::SEND_SYNC as u32, codec, self.id, request, channel, p)?;
    // Rings now: this thread is about to block; earlier quiet frames are
    // ahead of this one in the same queue.
    if self.hub.push(f).is_err() {
      self.hub.abandon_sync(self.id, request);
      return Ok(None);
    }
    match slot.wait(SYNC_SPIN) {
      // Copied, not an external buffer: a loop of sendSync calls never
      // turns the event loop, and Node 20 frees external buffers only then.
      Ok(reply) => BufferSlice::copy_from(env, &reply).map(Some),
      Err(_) => Ok(None),
    }
  }

  /// Detaches and queues a DISCONNECT frame whose request field says why:
  /// 1 for an explicit `close()`, 0 for an env torn down (main then waits
  /// for the worker's exit code to tell a crash from a clean end).
  fn disconnect(&mut self, explicit: bool) {
    if std::mem::replace(&mut self.closed, true) {
      return;
    }
    let _ = self.hub.inbox.flush();
    if self.hub.detach(self.id).is_some() {
      let f = crate::wire::encode(kind::DISCONNECT, 0, self.id, explicit as u32, b"", b"");
      let _ = self.hub.push(f);
    }
    self.inbox.close();
    self.bell.keep_alive(false);
    self.bell.release();
  }
}

impl Drop for NativeRenderer {
  /// The renderer's env is torn down (worker exit or terminate) without a
  /// `close()`: tell the hub, after everything this renderer sent.
  fn drop(&mut self) {
    self.disconnect(false);
  }
}

/// A worker's claim on the hub that spawned it: `[hubId, entry]`, or `null`
/// if the nonce is unknown or already claimed.
#[napi(catch_unwind)]
pub fn claim_worker(nonce: f64) -> Option<(f64, String)> {
  crate::hub::claim_worker(nonce as u64).map(|(hub, entry)| (hub as f64, entry))
}

#[napi]
impl NativeRenderer {
  /// This renderer's id (its WebContents id).
  #[napi(getter)]
  pub fn id(&self) -> u32 {
    self.id
  }

  /// Queues a frame for main (JSON payload); `false` once disconnected.
  #[napi(catch_unwind)]
  pub fn send_str(
    &self,
    kind: u32,
    request: u32,
    channel: String,
    codec: u32,
    payload: String,
  ) -> Result<bool> {
    self.push(kind, request, &channel, codec, &Payload::Str(payload))
  }

  /// As `sendStr`, with an encoded byte payload.
  #[napi(catch_unwind)]
  pub fn send_bytes(
    &self,
    kind: u32,
    request: u32,
    channel: String,
    codec: u32,
    payload: &[u8],
  ) -> Result<bool> {
    self.push(kind, request, &channel, codec, &Payload::Bytes(payload))
  }

  /// Sends a `sendSync` and blocks this thread for the answer (codec byte
  /// first); `null` if the hub closed or this renderer was detached.
  /// Never call it on the hub's own thread: nothing could answer.
  #[napi(catch_unwind)]
  pub fn send_sync_str<'env>(
    &self,
    env: &'env Env,
    request: u32,
    channel: String,
    codec: u32,
    payload: String,
  ) -> Result<Option<BufferSlice<'env>>> {
    self.send_sync(env, request, &channel, codec, &Payload::Str(payload))
  }

  /// As `sendSyncStr`, with an encoded byte payload.
  #[napi(catch_unwind)]
  pub fn send_sync_bytes<'env>(
    &self,
    env: &'env Env,
    request: u32,
    channel: String,
    codec: u32,
    payload: &[u8],
  ) -> Result<Option<BufferSlice<'env>>> {
    self.send_sync(env, request, &channel, codec, &Payload::Bytes(payload))
  }

  /// Queues frames JS wrote back to back (see `check_batch`) and rings the
  /// hub; `false` once disconnected.
  #[napi(catch_unwind)]
  pub fn send_frames(&self, frames: &[u8]) -> Result<bool> {
    if self.closed {
      return Ok(false);
    }
    super::check_batch(frames, u32::MAX as usize)?;
    self.burst.reset();
    let ok = self.hub.push_batch_quiet(frames.to_vec()).is_ok();
    let _ = self.hub.inbox.flush();
    Ok(ok)
  }

  /// The largest frame main accepts.
  #[napi(getter)]
  pub fn max_frame(&self) -> f64 {
    u32::MAX as f64
  }

  /// Rings the hub's doorbell for frames sent since the last flush.
  #[napi(catch_unwind)]
  pub fn flush(&self) {
    self.burst.reset();
    let _ = self.hub.inbox.flush();
  }

  /// Takes queued frames from main, as `NativeHub.drain`.
  #[napi(catch_unwind)]
  pub fn drain<'env>(
    &mut self,
    env: &'env Env,
    max_frames: u32,
    max_bytes: u32,
  ) -> Result<Option<Either<BufferSlice<'env>, Buffer>>> {
    let bell = &self.bell;
    super::drain_inbox(
      env,
      &self.inbox,
      &mut self.scratch,
      max_frames,
      max_bytes,
      || bell.release(),
    )
  }

  /// Keeps this thread's loop alive (an invoke in flight) or not.
  #[napi(catch_unwind)]
  pub fn keep_alive(&self, on: bool) {
    self.bell.keep_alive(on);
  }

  /// Detaches from the hub, telling it with a DISCONNECT frame. Idempotent.
  #[napi(catch_unwind)]
  pub fn close(&mut self) {
    self.disconnect(true);
  }
}

/// Attaches a new renderer to hub `hubId`; its doorbell calls
/// `onDoorbell()` on this thread. With `announce` (JSON metadata) the hub
/// gets a CONNECT frame. `null` if that hub is gone.
#[napi(catch_unwind)]
pub fn attach_renderer(
  env: Env,
  hub_id: f64,
  on_doorbell: Function<'_, (), UnknownReturnValue>,
  announce: Option<String>,
) -> Result<Option<NativeRenderer>> {
  let hub = match Hub::find(hub_id as u64) {
    Ok(h) => h,
    Err(_) => return Ok(None),
  };
  let bell = Arc::new(TsfnBell::new(&env, on_doorbell)?);
  let inbox = Arc::new(Inbox::new(Box::new(SharedBell(bell.clone()))));
  let id = match hub.attach(inbox.clone()) {
    Ok(id) => id,
    Err(_) => return Ok(None),
  };
  if let Some(meta) = announce {
    let f = frame(kind::CONNECT as u32, 1, id, 0, "", &Payload::Str(meta))?;
    if hub.push(f).is_err() {
      hub.detach(id);
      return Ok(None);
    }
  }
  Ok(Some(NativeRenderer {
    hub,
    id,
    inbox,
    bell,
    scratch: Vec::new(),
    burst: Default::default(),
    closed: false,
  }))
}
