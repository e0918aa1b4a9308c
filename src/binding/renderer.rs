//! `NativeRenderer`: one renderer endpoint. Its frames go to a hub of this
//! process (the same thread or a worker thread) or, over a socket, to a main
//! in another process ([`Route`]); either way it blocks for `sendSync` and
//! drains its own inbox of frames from main.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use super::doorbell::{SharedBell, TsfnBell};
use super::{frame_within, from_napi, to_js, Code, Payload};
use crate::error::Result as CoreResult;
use crate::hub::Hub;
use crate::queue::Inbox;
use crate::wire::{self, kind};

/// How long a blocked `sendSync` spins before parking its thread, when
/// main is another thread of this process.
const THREAD_SYNC_SPIN: Duration = Duration::from_micros(40);
/// The same over a socket: shorter, since an answer takes tens of
/// microseconds and the spin would take the CPU main needs to answer.
#[cfg(unix)]
const SOCKET_SYNC_SPIN: Duration = Duration::from_micros(10);

/// Where a renderer's frames go.
pub(crate) enum Route {
  /// A hub of this process.
  Hub(Arc<Hub>),
  /// A main in another process, over a socket.
  #[cfg(unix)]
  Socket {
    client: Arc<crate::transport::client::Client>,
    main_pid: u32,
    max_frame: usize,
  },
}

impl Route {
  /// The largest frame main accepts.
  fn max_frame(&self) -> usize {
    match self {
      Route::Hub(_) => u32::MAX as usize,
      #[cfg(unix)]
      Route::Socket { max_frame, .. } => *max_frame,
    }
  }

  /// Queues a frame (or a batch of them) without passing it on yet.
  fn push_quiet(&self, frames: Vec<u8>, batch: bool) -> CoreResult<()> {
    match self {
      Route::Hub(hub) if batch => hub.push_batch_quiet(frames),
      Route::Hub(hub) => hub.push_quiet(frames),
      #[cfg(unix)]
      Route::Socket { client, .. } => client.push_quiet(frames),
    }
  }

  /// Passes on what was queued: rings the hub, or writes to the socket.
  fn flush(&self) {
    match self {
      Route::Hub(hub) => {
        let _ = hub.inbox.flush();
      }
      #[cfg(unix)]
      Route::Socket { client, .. } => client.flush(),
    }
  }

  /// Sends a `sendSync` frame and blocks for the answer.
  fn send_sync(&self, renderer: u32, request: u32, frame: Vec<u8>) -> CoreResult<Vec<u8>> {
    match self {
      Route::Hub(hub) => {
        let slot = hub.begin_sync(renderer, request)?;
        // Rings now: this thread is about to block; earlier quiet frames
        // are ahead of this one in the same queue.
        if let Err(e) = hub.push(frame) {
          hub.abandon_sync(renderer, request);
          return Err(e);
        }
        slot.wait(THREAD_SYNC_SPIN)
      }
      #[cfg(unix)]
      Route::Socket { client, .. } => client.send_sync(request, frame, SOCKET_SYNC_SPIN),
    }
  }

  /// Leaves main after everything sent. `explicit` (a `close()`) says
  /// goodbye, so main emits 'destroyed' at once; otherwise (an env torn
  /// down) main learns of it from a DISCONNECT with request 0 (a hub) or
  /// the end of the stream (a socket) and waits for the exit status.
  fn disconnect(&self, renderer: u32, explicit: bool) {
    match self {
      Route::Hub(hub) => {
        let _ = hub.inbox.flush();
        if hub.detach(renderer).is_some() {
          let f = wire::encode(kind::DISCONNECT, 0, renderer, explicit as u32, b"", b"");
          let _ = hub.push(f);
        }
      }
      #[cfg(unix)]
      Route::Socket { client, .. } if explicit => client.close(),
      #[cfg(unix)]
      Route::Socket { client, .. } => client.drop_connection(),
    }
  }
}

/// A renderer connected to a main.
#[napi]
pub struct NativeRenderer {
  route: Route,
  id: u32,
  inbox: Arc<Inbox>,
  bell: Arc<TsfnBell>,
  scratch: Vec<u8>,
  burst: super::Burst,
  closed: bool,
}

impl NativeRenderer {
  /// A renderer with id `id` on `route`, draining `inbox` (rung by `bell`).
  pub(crate) fn new(route: Route, id: u32, inbox: Arc<Inbox>, bell: Arc<TsfnBell>) -> Self {
    NativeRenderer {
      route,
      id,
      inbox,
      bell,
      scratch: Vec::new(),
      burst: Default::default(),
      closed: false,
    }
  }

  fn frame(
    &self,
    kind: u32,
    request: u32,
    channel: &str,
    codec: u32,
    p: &Payload<'_>,
  ) -> CoreResult<Vec<u8>> {
    let limit = self.route.max_frame();
    frame_within(kind, codec, self.id, request, channel, p, limit)
  }

  fn push(
    &self,
    kind: u32,
    request: u32,
    channel: &str,
    codec: u32,
    p: &Payload<'_>,
  ) -> Result<bool, Code> {
    if self.closed {
      return Ok(false);
    }
    let f = self
      .frame(kind, request, channel, codec, p)
      .map_err(to_js)?;
    let len = f.len();
    // Passed on by `flush()`, which JS schedules once per synchronous
    // stretch, or now if this stretch is long.
    let ok = self.route.push_quiet(f, false).is_ok();
    if ok && self.burst.add(len) {
      self.route.flush();
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
  ) -> Result<Option<BufferSlice<'env>>, Code> {
    if self.closed {
      return Ok(None);
    }
    let f = self
      .frame(kind::SEND_SYNC as u32, request, channel, codec, p)
      .map_err(to_js)?;
    match self.route.send_sync(self.id, request, f) {
      // Copied, not an external buffer: a loop of sendSync calls never
      // turns the event loop, and Node 20 frees external buffers only then.
      Ok(reply) => BufferSlice::copy_from(env, &reply)
        .map(Some)
        .map_err(from_napi),
      Err(_) => Ok(None),
    }
  }

  fn disconnect(&mut self, explicit: bool) {
    if std::mem::replace(&mut self.closed, true) {
      return;
    }
    self.route.disconnect(self.id, explicit);
    self.inbox.close();
    self.bell.keep_alive(false);
    self.bell.release();
  }
}

impl Drop for NativeRenderer {
  /// The renderer's env is torn down (worker exit or terminate, process
  /// exit) without a `close()`: tell main, after everything sent.
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

  /// Main's process id.
  #[napi(getter)]
  pub fn main_pid(&self) -> u32 {
    match &self.route {
      Route::Hub(_) => std::process::id(),
      #[cfg(unix)]
      Route::Socket { main_pid, .. } => *main_pid,
    }
  }

  /// The largest frame main accepts.
  #[napi(getter)]
  pub fn max_frame(&self) -> f64 {
    self.route.max_frame() as f64
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
  ) -> Result<bool, Code> {
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
  ) -> Result<bool, Code> {
    self.push(kind, request, &channel, codec, &Payload::Bytes(payload))
  }

  /// Sends a `sendSync` and blocks this thread for the answer (codec byte
  /// first); `null` once disconnected. Never call it on the hub's own
  /// thread: nothing could answer.
  #[napi(catch_unwind)]
  pub fn send_sync_str<'env>(
    &self,
    env: &'env Env,
    request: u32,
    channel: String,
    codec: u32,
    payload: String,
  ) -> Result<Option<BufferSlice<'env>>, Code> {
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
  ) -> Result<Option<BufferSlice<'env>>, Code> {
    self.send_sync(env, request, &channel, codec, &Payload::Bytes(payload))
  }

  /// Queues frames JS wrote back to back (see `check_batch`) and passes
  /// them on; `false` once disconnected.
  #[napi(catch_unwind)]
  pub fn send_frames(&self, frames: &[u8]) -> Result<bool, Code> {
    if self.closed {
      return Ok(false);
    }
    super::check_batch(frames, self.route.max_frame()).map_err(to_js)?;
    self.burst.reset();
    let ok = self.route.push_quiet(frames.to_vec(), true).is_ok();
    self.route.flush();
    Ok(ok)
  }

  /// Passes on the frames sent since the last flush.
  #[napi(catch_unwind)]
  pub fn flush(&self) {
    self.burst.reset();
    self.route.flush();
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

  /// Writes everything queued for a socket, blocking up to `timeoutMs`
  /// (process exit); `true` at once for a hub of this process.
  #[napi(catch_unwind)]
  pub fn flush_blocking(&self, timeout_ms: u32) -> bool {
    match &self.route {
      Route::Hub(_) => {
        let _ = timeout_ms;
        true
      }
      #[cfg(unix)]
      Route::Socket { client, .. } => {
        client.flush_blocking(Duration::from_millis(timeout_ms as u64))
      }
    }
  }

  /// Leaves main, saying goodbye. Idempotent.
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
    let f = super::frame(kind::CONNECT as u32, 1, id, 0, "", &Payload::Str(meta))
      .map_err(|e| Error::from_reason(e.to_string()))?;
    if hub.push(f).is_err() {
      hub.detach(id);
      return Ok(None);
    }
  }
  Ok(Some(NativeRenderer::new(Route::Hub(hub), id, inbox, bell)))
}
