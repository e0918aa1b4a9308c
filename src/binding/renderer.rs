//! `NativeRenderer`: one renderer endpoint. Its frames go to a hub of this
//! process (the same thread or a worker thread) or, over a socket, to a main
//! in another process (a [`Route`]); either way it blocks for `sendSync` and
//! drains its own inbox of frames from main. The policy (checks, bursts,
//! invokes that keep the thread alive) is `crate::route`'s.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use super::doorbell::{SharedBell, TsfnBell};
use super::{frame_from_js, invalid_arg, to_js, Code, JsString};
use crate::hub::Hub;
use crate::queue::Inbox;
use crate::route::{check_batch, last_frame, Burst, Holds, Route, Writer};
use crate::wire::kind;

/// A renderer connected to a main.
#[napi]
pub struct NativeRenderer {
  route: Route,
  id: u32,
  inbox: Arc<Inbox>,
  bell: Arc<TsfnBell>,
  taken: Vec<Vec<u8>>,
  burst: Burst,
  /// Invokes in flight, when their results come through `inbox` (not for
  /// a renderer on its hub's own thread, whose results JS settles itself).
  holds: Option<Holds>,
  closed: bool,
}

impl NativeRenderer {
  /// A renderer with id `id` on `route`, draining `inbox` (rung by `bell`);
  /// `holds`: whether its invokes in flight keep its thread alive.
  pub(crate) fn new(
    route: Route,
    id: u32,
    inbox: Arc<Inbox>,
    bell: Arc<TsfnBell>,
    holds: bool,
  ) -> Self {
    NativeRenderer {
      route,
      id,
      inbox,
      bell,
      taken: Vec::new(),
      burst: Default::default(),
      holds: holds.then(Holds::default),
      closed: false,
    }
  }

  /// Notes invokes started or given up in `frames`, which were queued
  /// (`ok`) or refused because main is gone.
  fn sent(&mut self, frames: &[u8], ok: bool) {
    let Some(holds) = &mut self.holds else { return };
    let changed = if ok {
      holds.sent(frames)
    } else {
      holds.clear()
    };
    if changed {
      self.bell.hold_calls(holds.any());
    }
  }

  /// As [`sent`](Self::sent), for one frame.
  fn sent_one(&mut self, kind: u32, request: u32, ok: bool) {
    let Some(holds) = &mut self.holds else { return };
    let changed = if ok {
      holds.sent_one(kind as u8, request)
    } else {
      holds.clear()
    };
    if changed {
      self.bell.hold_calls(holds.any());
    }
  }

  fn disconnect(&mut self, explicit: bool) {
    if std::mem::replace(&mut self.closed, true) {
      return;
    }
    self.route.disconnect(self.id, explicit);
    self.inbox.close();
    if let Some(h) = &mut self.holds {
      h.clear();
    }
    self.bell.hold_calls(false);
    self.bell.keep_alive(false);
    self.bell.release();
    self.bell.shut();
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
    self.route.main_pid()
  }

  /// The largest frame main accepts.
  #[napi(getter)]
  pub fn max_frame(&self) -> f64 {
    self.route.max_frame() as f64
  }

  /// Queues one frame for main (a JSON string or encoded bytes: frames too
  /// large for JS's batch); `false` once disconnected.
  #[napi(catch_unwind)]
  pub fn send(
    &mut self,
    env: Env,
    kind: u32,
    request: u32,
    channel: String,
    codec: u32,
    payload: Either<JsString<'_>, &[u8]>,
  ) -> Result<bool, Code> {
    if self.closed {
      return Ok(false);
    }
    if kind > u8::MAX as u32 || !Writer::Renderer.may_send(kind as u8) {
      return Err(invalid_arg("a kind a renderer does not send"));
    }
    let limit = self.route.max_frame();
    let f = frame_from_js(
      &env, kind, codec, self.id, request, &channel, &payload, limit,
    )?;
    let len = f.len();
    // Passed on by `flush()`, which JS schedules once per synchronous
    // stretch, or now if this stretch is long.
    let ok = self.route.push_quiet(f, false).is_ok();
    self.sent_one(kind, request, ok);
    if ok && self.burst.add(len) {
      self.route.flush();
    }
    Ok(ok)
  }

  /// Queues frames JS wrote back to back (checked: whole frames of the
  /// kinds a renderer sends) and passes them on; `false` once disconnected.
  #[napi(catch_unwind)]
  pub fn send_frames(&mut self, frames: &[u8]) -> Result<bool, Code> {
    if self.closed {
      return Ok(false);
    }
    check_batch(frames, self.route.max_frame(), Writer::Renderer).map_err(to_js)?;
    self.burst.reset();
    let ok = self.route.push_quiet(frames.to_vec(), true).is_ok();
    self.sent(frames, ok);
    self.route.flush();
    Ok(ok)
  }

  /// Sends frames JS wrote back to back, the last one a `sendSync`, and
  /// blocks this thread for its answer: a string (JSON text), or a Buffer
  /// (codec byte first); `null` once disconnected. Never call it on the
  /// hub's own thread: nothing could answer.
  #[napi(catch_unwind)]
  pub fn send_sync<'env>(
    &mut self,
    env: &'env Env,
    frames: &[u8],
  ) -> Result<Option<Either<JsString<'env>, BufferSlice<'env>>>, Code> {
    if self.closed {
      return Ok(None);
    }
    check_batch(frames, self.route.max_frame(), Writer::Renderer).map_err(to_js)?;
    let request = match last_frame(frames) {
      Some((k, request)) if k == kind::SEND_SYNC => request,
      _ => return Err(invalid_arg("the last frame is not a sendSync")),
    };
    self.burst.reset();
    self.sent(frames, true);
    match self.route.send_sync(self.id, request, frames.to_vec()) {
      // Copied, not a view: a loop of sendSync calls never turns the event
      // loop, and Node frees external buffers only then.
      Ok(reply) => super::reply_to_js(env, &reply).map(Some),
      Err(_) => {
        self.sent(&[], false);
        Ok(None)
      }
    }
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
    mut recv: BufferSlice<'_>,
  ) -> Result<super::Drained<'env>, Code> {
    let (bell, holds) = (&self.bell, &mut self.holds);
    super::drain_inbox(
      env,
      &self.inbox,
      &mut self.taken,
      max_frames,
      max_bytes,
      &mut recv,
      |frames| {
        if holds.as_mut().is_some_and(|h| h.delivered(frames)) {
          bell.hold_calls(false);
        }
      },
      || bell.release(),
    )
  }

  /// Keeps this thread's loop alive (listeners waiting for main) or not.
  /// Invokes in flight hold it by themselves.
  #[napi(catch_unwind)]
  pub fn keep_alive(&self, on: bool) {
    self.bell.keep_alive(on);
  }

  /// Writes everything queued for a socket, blocking up to `timeoutMs`
  /// (process exit); `true` at once for a hub of this process.
  #[napi(catch_unwind)]
  pub fn flush_blocking(&self, timeout_ms: u32) -> bool {
    self
      .route
      .flush_blocking(Duration::from_millis(timeout_ms as u64))
  }

  /// Leaves main, saying goodbye. Idempotent.
  #[napi(catch_unwind)]
  pub fn close(&mut self) {
    self.disconnect(true);
  }
}

/// Attaches a new renderer to hub `hubId`; its doorbell calls
/// `onDoorbell()` on this thread. With `announce` (JSON metadata) the hub
/// gets a CONNECT frame: a renderer on another thread, whose invokes in
/// flight then keep its thread alive (without, one on the hub's own thread,
/// whose results JS settles there). `null` if that hub is gone.
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
  let bell = TsfnBell::new(&env, on_doorbell)?;
  let inbox = Arc::new(Inbox::new(Box::new(SharedBell(bell.clone()))));
  let id = match hub.attach(inbox.clone()) {
    Ok(id) => id,
    Err(_) => return Ok(None),
  };
  let holds = announce.is_some();
  if let Some(meta) = announce {
    let f = crate::wire::encode(kind::CONNECT, 1, id, 0, b"", meta.as_bytes());
    if hub.push(f).is_err() {
      hub.detach(id);
      return Ok(None);
    }
  }
  Ok(Some(NativeRenderer::new(
    Route::Hub(hub),
    id,
    inbox,
    bell,
    holds,
  )))
}
