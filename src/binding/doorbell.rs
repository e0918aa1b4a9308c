//! The doorbell of one inbox: a single weak threadsafe function whose JS
//! callback drains that inbox.
//!
//! Weak (unref'd) so an idle hub never keeps the process alive. When a frame
//! is pushed on the inbox owner's own JS thread (an in-process renderer
//! sending to its hub, main sending to an in-process renderer), the bell holds
//! a ref until the inbox drains empty: what was sent is delivered before the
//! process may exit. Frames from other threads need no hold, since their
//! sender (a Worker, a socket) keeps the loop alive by itself. A renderer's
//! invokes in flight also hold a ref (`hold_calls`, driven by
//! `route::Holds` from the frames themselves), until their results are
//! delivered.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::ThreadId;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{
  ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};

use crate::error::{IpcError, Result as CoreResult};
use crate::queue::Doorbell;

type Tsfn = ThreadsafeFunction<(), UnknownReturnValue, (), Status, false, true>;

/// A doorbell backed by one weak threadsafe function.
pub(crate) struct TsfnBell {
  tsfn: Tsfn,
  home: ThreadId,
  /// The owning env, used only on `home` for ref/unref.
  env: usize,
  /// A ref is held because of a same-thread push.
  held: AtomicBool,
  /// An explicit keep-alive (a listening hub, a renderer's listeners) is on.
  kept: AtomicBool,
  /// A renderer's invoke is in flight.
  calls: AtomicBool,
}

// SAFETY: `env` is only dereferenced on the `home` thread (checked at each
// use); the threadsafe function itself is Send + Sync.
unsafe impl Send for TsfnBell {}
unsafe impl Sync for TsfnBell {}

impl TsfnBell {
  /// Wraps `callback` (called with no arguments on this thread) in a weak
  /// threadsafe function.
  pub(crate) fn new(env: &Env, callback: Function<'_, (), UnknownReturnValue>) -> Result<Self> {
    let tsfn = callback
      .build_threadsafe_function::<()>()
      .weak::<true>()
      .callee_handled::<false>()
      .build_callback(|_ctx| Ok(()))?;
    Ok(TsfnBell {
      tsfn,
      home: std::thread::current().id(),
      env: env.raw() as usize,
      held: AtomicBool::new(false),
      kept: AtomicBool::new(false),
      calls: AtomicBool::new(false),
    })
  }

  fn on_home(&self) -> bool {
    std::thread::current().id() == self.home
  }

  fn set_ref(&self, on: bool) {
    if !self.on_home() {
      return;
    }
    let env = self.env as napi::sys::napi_env;
    self.tsfn.handle.with_read_aborted(|aborted| {
      if aborted {
        return;
      }
      let raw = self.tsfn.handle.get_raw();
      // SAFETY: on the owning JS thread, env alive (we are running on it),
      // and the function not aborted (checked under the read lock).
      unsafe {
        if on {
          napi::sys::napi_ref_threadsafe_function(env, raw);
        } else {
          napi::sys::napi_unref_threadsafe_function(env, raw);
        }
      }
    });
  }

  fn update(&self) {
    let want = self.held.load(Ordering::Relaxed)
      || self.kept.load(Ordering::Relaxed)
      || self.calls.load(Ordering::Relaxed);
    self.set_ref(want);
  }

  /// Drops the same-thread hold (the inbox drained empty).
  pub(crate) fn release(&self) {
    if self.held.swap(false, Ordering::Relaxed) {
      self.update();
    }
  }

  /// Turns the explicit keep-alive on or off (JS thread only).
  pub(crate) fn keep_alive(&self, on: bool) {
    if self.kept.swap(on, Ordering::Relaxed) != on {
      self.update();
    }
  }
}

impl TsfnBell {
  /// Holds a ref while a renderer's invokes are in flight (JS thread only).
  pub(crate) fn hold_calls(&self, on: bool) {
    if self.calls.swap(on, Ordering::Relaxed) != on {
      self.update();
    }
  }
}

/// Shares one bell between the inbox (which rings it) and the binding
/// object (which releases it).
pub(crate) struct SharedBell(pub std::sync::Arc<TsfnBell>);

impl Doorbell for SharedBell {
  fn ring(&self) -> CoreResult<()> {
    let bell = &self.0;
    match bell.tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking) {
      Status::Ok => {}
      _ => return Err(IpcError::Disconnected),
    }
    if bell.on_home() && !bell.held.swap(true, Ordering::Relaxed) {
      bell.update();
    }
    Ok(())
  }
}
