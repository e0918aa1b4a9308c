//! `NativeHub`: the Rust half of one top-level `IpcMain`: its inbox and
//! doorbell, routing to attached renderers, answers to blocked `sendSync`s.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use super::doorbell::{SharedBell, TsfnBell};
use super::{frame_from_js, invalid_arg, tagged_from_js, to_js, Code, JsString};
use crate::hub::Hub;
use crate::route::{check_batch, Writer};

/// One hub: an ordered inbox drained on this JS thread.
#[napi]
pub struct NativeHub {
  hub: Arc<Hub>,
  bell: Arc<TsfnBell>,
  taken: Vec<Vec<u8>>,
  /// Renderers sent to since the last `flush()` (JS thread only).
  owed: HashSet<u32>,
  /// Renderers a batch was queued for (reused).
  touched: Vec<u32>,
  #[cfg(unix)]
  listener: Option<crate::transport::server::Listener>,
  /// Socket connections read on this thread's loop.
  #[cfg(unix)]
  readers: super::socket::Readers,
  /// Held for its `Drop`: unregisters the env hook.
  _teardown: EnvTeardown,
}

/// Closes a hub when its env is torn down (a worker terminated, or the
/// main thread ending without `process.exit()`, for which JS closes it on
/// 'exit'): renderers on other threads blocked in `sendSync` on it wake,
/// disconnected, instead of blocking their own termination for ever.
///
/// Registered with napi directly, not through napi-rs (whose removal leaks
/// the hook's data), so that a hub dropped first unregisters it cleanly.
struct EnvTeardown {
  env: napi::sys::napi_env,
  /// Also owned by the registered hook, as a raw `Arc` until it runs.
  state: Arc<HookState>,
}

struct HookState {
  hub: Weak<Hub>,
  /// The hook ran (it consumed its `Arc`).
  ran: AtomicBool,
}

unsafe extern "C" fn env_teardown(data: *mut std::ffi::c_void) {
  // SAFETY: `data` is the `Arc<HookState>` leaked for the hook in
  // `EnvTeardown::new`; napi calls this at most once, and `Drop` takes it
  // back only if this never ran.
  let state = unsafe { Arc::from_raw(data as *const HookState) };
  state.ran.store(true, Ordering::Release);
  if let Some(hub) = state.hub.upgrade() {
    hub.close();
  }
}

impl EnvTeardown {
  fn new(env: &Env, hub: &Arc<Hub>) -> Result<Self> {
    let state = Arc::new(HookState {
      hub: Arc::downgrade(hub),
      ran: AtomicBool::new(false),
    });
    let data = Arc::into_raw(state.clone()) as *mut std::ffi::c_void;
    // SAFETY: a valid env of this thread; `data` stays valid until the hook
    // runs or is removed.
    let status =
      unsafe { napi::sys::napi_add_env_cleanup_hook(env.raw(), Some(env_teardown), data) };
    if status != napi::sys::Status::napi_ok {
      // SAFETY: not registered: take the hook's reference back.
      drop(unsafe { Arc::from_raw(data as *const HookState) });
      return Err(Error::from_reason(
        "cannot register the hub's env cleanup hook",
      ));
    }
    Ok(EnvTeardown {
      env: env.raw(),
      state,
    })
  }
}

impl Drop for EnvTeardown {
  fn drop(&mut self) {
    // Dropped on the JS thread (a finalizer, or env teardown after hooks).
    if self.state.ran.load(Ordering::Acquire) {
      return;
    }
    let data = Arc::as_ptr(&self.state) as *mut std::ffi::c_void;
    // SAFETY: registered in `new` with this env, function and data, and it
    // has not run; once removed it never will, so its reference is ours.
    unsafe {
      napi::sys::napi_remove_env_cleanup_hook(self.env, Some(env_teardown), data);
      drop(Arc::from_raw(data as *const HookState));
    }
  }
}

impl Drop for NativeHub {
  /// Nothing in JS holds this hub any more: nothing can answer its
  /// renderers, so they learn it is gone.
  fn drop(&mut self) {
    self.close();
  }
}

impl NativeHub {
  /// Queues a frame for `renderer` quietly and remembers to ring it.
  fn queue_for(&mut self, renderer: u32, f: Vec<u8>) -> bool {
    let ok = self.hub.send_to(renderer, f).is_ok();
    if ok {
      self.owed.insert(renderer);
    }
    ok
  }
}

#[napi]
impl NativeHub {
  /// Creates a hub whose doorbell calls `onDoorbell()` on this thread.
  #[napi(constructor, catch_unwind)]
  pub fn new(env: Env, on_doorbell: Function<'_, (), UnknownReturnValue>) -> Result<Self> {
    #[cfg(unix)]
    let readers = super::socket::Readers::new(&env, &on_doorbell);
    let bell = TsfnBell::new(&env, on_doorbell)?;
    let hub = Hub::new(Box::new(SharedBell(bell.clone())));
    let teardown = EnvTeardown::new(&env, &hub)?;
    Ok(NativeHub {
      _teardown: teardown,
      hub,
      bell,
      taken: Vec::new(),
      owed: HashSet::new(),
      touched: Vec::new(),
      #[cfg(unix)]
      listener: None,
      #[cfg(unix)]
      readers,
    })
  }

  /// The process-wide id renderers attach with.
  #[napi(getter)]
  pub fn id(&self) -> f64 {
    self.hub.id() as f64
  }

  /// Takes up to `maxFrames` queued frames (about `maxBytes`) back to back,
  /// oldest first: copied into `recv` (its length in bytes is returned) or,
  /// if they do not fit, into a Buffer of their own; or one large frame
  /// alone, as a Buffer; `null` when the inbox is empty. When frames remain,
  /// the doorbell rings again.
  #[napi(catch_unwind)]
  pub fn drain<'env>(
    &mut self,
    env: &'env Env,
    max_frames: u32,
    max_bytes: u32,
    mut recv: BufferSlice<'_>,
  ) -> Result<super::Drained<'env>, Code> {
    // New socket connections are read from here on, before the frames
    // that announce them are handed out.
    #[cfg(unix)]
    if let Some(l) = &self.listener {
      self.readers.adopt(env, l);
    }
    let bell = &self.bell;
    let out = super::drain_inbox(
      env,
      &self.hub.inbox,
      &mut self.taken,
      max_frames,
      max_bytes,
      &mut recv,
      |_| {},
      || bell.release(),
    );
    #[cfg(unix)]
    self.readers.resume();
    out
  }

  /// Queues one frame for renderer `renderer` (a JSON string or encoded
  /// bytes: frames too large for JS's batch), rung at the next `flush()`;
  /// `false` if that renderer is gone.
  // The arguments are the frame's fields, as JS passes them.
  #[allow(clippy::too_many_arguments)]
  #[napi(catch_unwind)]
  pub fn send(
    &mut self,
    env: Env,
    renderer: u32,
    kind: u32,
    request: u32,
    channel: String,
    codec: u32,
    payload: Either<JsString<'_>, &[u8]>,
  ) -> Result<bool, Code> {
    if kind > u8::MAX as u32 || !Writer::Main.may_send(kind as u8) {
      return Err(invalid_arg("a kind main does not send"));
    }
    let f = frame_from_js(
      &env,
      kind,
      codec,
      renderer,
      request,
      &channel,
      &payload,
      u32::MAX as usize,
    )?;
    Ok(self.queue_for(renderer, f))
  }

  /// Queues main's frames written back to back in JS (each for the
  /// renderer its header names; those for a renderer that is gone are
  /// dropped) and rings every renderer sent to since the last flush.
  #[napi(catch_unwind)]
  pub fn send_frames(&mut self, frames: &[u8]) -> Result<(), Code> {
    check_batch(frames, u32::MAX as usize, Writer::Main).map_err(to_js)?;
    let mut touched = std::mem::take(&mut self.touched);
    self.hub.send_batch(frames, &mut touched);
    for renderer in touched.drain(..) {
      self.owed.insert(renderer);
    }
    self.touched = touched;
    self.flush();
    Ok(())
  }

  /// Rings the doorbell of every renderer sent to since the last flush
  /// (JS schedules it once per synchronous stretch of sends).
  #[napi(catch_unwind)]
  pub fn flush(&mut self) {
    for renderer in self.owed.drain() {
      self.hub.flush_renderer(renderer);
    }
  }

  /// Answers the blocked `sendSync` `request` of `renderer` with `payload`
  /// in `codec`; `false` if nobody waits for it any more.
  #[napi(catch_unwind)]
  pub fn complete_sync(
    &self,
    env: Env,
    renderer: u32,
    request: u32,
    codec: u32,
    payload: Either<JsString<'_>, &[u8]>,
  ) -> Result<bool, Code> {
    let reply = tagged_from_js(&env, codec, &payload)?;
    Ok(self.hub.complete_sync(renderer, request, Ok(reply)))
  }

  /// Detaches a renderer (its blocked `sendSync` wakes, disconnected).
  #[napi(catch_unwind)]
  pub fn detach(&self, renderer: u32) -> bool {
    self.hub.detach(renderer).is_some()
  }

  /// Keeps the process alive (a listening hub, work in flight) or not.
  #[napi(catch_unwind)]
  pub fn keep_alive(&self, on: bool) {
    self.bell.keep_alive(on);
  }

  /// `[messages, bytes]` per frame kind 0..32, first of frames in
  /// (renderer -> main), then out (main -> renderer): 128 numbers.
  #[napi(catch_unwind)]
  pub fn counters(&self) -> Vec<f64> {
    let mut out = Vec::with_capacity(128);
    for c in [&self.hub.counted_in, &self.hub.counted_out] {
      for k in 0..32u8 {
        let (m, b) = c.of(k);
        out.push(m as f64);
        out.push(b as f64);
      }
    }
    out
  }

  /// Frames and bytes waiting, and renderers attached.
  #[napi(catch_unwind)]
  pub fn depth(&self) -> Vec<f64> {
    let d = self.hub.inbox.depth();
    vec![
      d.frames as f64,
      d.bytes as f64,
      self.hub.renderer_count() as f64,
    ]
  }

  /// Records a worker about to start (running `entry`); returns the
  /// one-time nonce it claims its hub with.
  #[napi(catch_unwind)]
  pub fn expect_worker(&self, entry: String) -> f64 {
    crate::hub::expect_worker(self.hub.id(), entry) as f64
  }

  /// Forgets a nonce whose worker never started.
  #[napi(catch_unwind)]
  pub fn forget_worker(&self, nonce: f64) {
    crate::hub::forget_worker(nonce as u64);
  }

  /// Listens on a Unix socket at `path` for renderers presenting `token`;
  /// connections are not read while the inbox holds more than `maxQueue`
  /// bytes. Throws with Node's code for a bind error (`EADDRINUSE`, ...),
  /// or `IPC_ALREADY_LISTENING`.
  #[cfg(unix)]
  #[napi(catch_unwind)]
  pub fn listen(
    &mut self,
    path: String,
    token: String,
    max_frame: f64,
    max_queue: f64,
  ) -> Result<(), Code> {
    if self.listener.is_some() {
      return Err(to_js(crate::error::IpcError::AlreadyListening));
    }
    let l =
      super::socket::listen(self.hub.clone(), path, token, max_frame, max_queue).map_err(to_js)?;
    self.listener = Some(l);
    Ok(())
  }

  /// Writes what is queued for socket renderers, blocking up to
  /// `timeoutMs` (process exit).
  #[napi(catch_unwind)]
  pub fn flush_blocking(&self, timeout_ms: u32) {
    #[cfg(unix)]
    if let Some(l) = &self.listener {
      l.flush_blocking(std::time::Duration::from_millis(timeout_ms as u64));
    }
    #[cfg(not(unix))]
    let _ = timeout_ms;
  }

  /// Reads what socket renderers sent that is still in their sockets into
  /// the inbox, now (before a close delivers what they sent).
  #[napi(catch_unwind)]
  pub fn read_sockets(&mut self, env: &Env) {
    #[cfg(unix)]
    self.readers.read_now(env, self.listener.as_ref());
    #[cfg(not(unix))]
    let _ = env;
  }

  /// Stops listening and closes every socket renderer's connection (each
  /// is told first); the hub and its other renderers go on. `false` if it
  /// was not listening.
  #[napi(catch_unwind)]
  pub fn unlisten(&mut self, env: &Env) -> bool {
    #[cfg(unix)]
    if let Some(l) = self.listener.take() {
      // Connections not adopted yet are read to their end like the others.
      self.readers.adopt(env, &l);
      l.close();
      return true;
    }
    false
  }

  /// Closes the hub: renderers are told, blocked `sendSync`s wake; a
  /// listening socket stops and its connections close after the news.
  #[napi(catch_unwind)]
  pub fn close(&mut self) {
    #[cfg(unix)]
    let listener = self.listener.take();
    #[cfg(unix)]
    if let Some(l) = &listener {
      l.stop();
    }
    self.hub.close();
    #[cfg(unix)]
    if let Some(l) = listener {
      l.finish();
    }
    // Paused connections read on, to see their end (the hub refuses more).
    #[cfg(unix)]
    self.readers.resume();
    self.bell.keep_alive(false);
    self.bell.release();
    self.bell.shut();
  }
}
