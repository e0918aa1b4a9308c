//! The doorbell of one inbox: one weak wake-up whose JS callback drains
//! that inbox.
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
//!
//! The wake-up is a libuv async handle on the owner's loop (`UvWake`) where
//! the host exports libuv (Node does), else a threadsafe function. Why not
//! always the threadsafe function: Node calls `uv_async_send` while holding
//! the function's queue mutex, so on a busy or single CPU the woken JS thread
//! often preempts the ringing thread, blocks on that mutex and hands the CPU
//! back: two extra context switches per ring, measured as 4 per worker
//! `sendSync` instead of 2. A bare async handle is rung under a read lock
//! that the woken thread never takes.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::ThreadId;

use napi::bindgen_prelude::*;
use napi::sys;
use napi::threadsafe_function::{
  ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi::JsValue;

use crate::error::{IpcError, Result as CoreResult};
use crate::queue::Doorbell;

type Tsfn = ThreadsafeFunction<(), UnknownReturnValue, (), Status, false, true>;

/// The name kept for the binding's callers.
pub(crate) type TsfnBell = Bell;

/// How a bell wakes its JS thread.
enum Wake {
  Uv(UvWake),
  Tsfn(Tsfn),
}

/// A doorbell: a wake-up of one JS thread, and what holds that thread's
/// loop alive.
pub(crate) struct Bell {
  wake: Wake,
  home: ThreadId,
  /// A ref is held because of a same-thread push.
  held: AtomicBool,
  /// An explicit keep-alive (a listening hub, a renderer's listeners) is on.
  kept: AtomicBool,
  /// A renderer's invoke is in flight.
  calls: AtomicBool,
  /// The owning env (threadsafe-function bells ref on it, on `home` only).
  env: usize,
}

// SAFETY: `env` and the uv handle's JS-thread operations are only used on
// the `home` thread (checked at each use); ringing is thread-safe (the
// threadsafe function, or `uv_async_send` under the handle's read lock).
unsafe impl Send for Bell {}
unsafe impl Sync for Bell {}

impl Bell {
  /// A bell whose ring calls `callback` (no arguments) on this thread.
  pub(crate) fn new(
    env: &Env,
    callback: Function<'_, (), UnknownReturnValue>,
  ) -> Result<Arc<Self>> {
    let home = std::thread::current().id();
    let make = |wake| Bell {
      wake,
      home,
      held: AtomicBool::new(false),
      kept: AtomicBool::new(false),
      calls: AtomicBool::new(false),
      env: env.raw() as usize,
    };
    if let Some(uv) = uv::api() {
      let bell = Arc::new(make(Wake::Uv(UvWake::default())));
      if let Wake::Uv(w) = &bell.wake {
        // SAFETY: on the JS thread of `env`; `bell` outlives the handle
        // (the handle holds a strong count until its close callback).
        if unsafe { w.open(uv, env, &callback, &bell) }.is_ok() {
          return Ok(bell);
        }
      }
    }
    let tsfn = callback
      .build_threadsafe_function::<()>()
      .weak::<true>()
      .callee_handled::<false>()
      .build_callback(|_ctx| Ok(()))?;
    Ok(Arc::new(make(Wake::Tsfn(tsfn))))
  }

  fn on_home(&self) -> bool {
    std::thread::current().id() == self.home
  }

  fn set_ref(&self, on: bool) {
    if !self.on_home() {
      return;
    }
    match &self.wake {
      Wake::Uv(w) => w.set_ref(on),
      Wake::Tsfn(tsfn) => {
        let env = self.env as sys::napi_env;
        tsfn.handle.with_read_aborted(|aborted| {
          if aborted {
            return;
          }
          let raw = tsfn.handle.get_raw();
          // SAFETY: on the owning JS thread, env alive (we are running on
          // it), and the function not aborted (checked under the read lock).
          unsafe {
            if on {
              sys::napi_ref_threadsafe_function(env, raw);
            } else {
              sys::napi_unref_threadsafe_function(env, raw);
            }
          }
        });
      }
    }
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

  /// Holds a ref while a renderer's invokes are in flight (JS thread only).
  pub(crate) fn hold_calls(&self, on: bool) {
    if self.calls.swap(on, Ordering::Relaxed) != on {
      self.update();
    }
  }

  /// Stops ringing for good (the inbox's owner closed): later rings say
  /// disconnected. JS thread only; elsewhere, and for a threadsafe
  /// function, nothing happens (env teardown ends those).
  pub(crate) fn shut(&self) {
    if let Wake::Uv(w) = &self.wake {
      if self.on_home() {
        w.close(true);
      }
    }
  }

  fn ring(&self) -> CoreResult<()> {
    match &self.wake {
      Wake::Uv(w) => w.send()?,
      Wake::Tsfn(tsfn) => match tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking) {
        Status::Ok => {}
        _ => return Err(IpcError::Disconnected),
      },
    }
    if self.on_home() && !self.held.swap(true, Ordering::Relaxed) {
      self.update();
    }
    Ok(())
  }
}

/// Shares one bell between the inbox (which rings it) and the binding
/// object (which releases it).
pub(crate) struct SharedBell(pub Arc<Bell>);

impl Doorbell for SharedBell {
  fn ring(&self) -> CoreResult<()> {
    self.0.ring()
  }
}

/// A libuv async handle on the owner's loop and the JS callback it runs.
#[derive(Default)]
struct UvWake {
  /// The `uv_async_t`, or 0 once closed. Rung under the read lock; closed
  /// (on the JS thread) under the write lock, so no ring touches a closed
  /// handle.
  handle: RwLock<usize>,
  /// The callback (`napi_ref`), its async context, and the env.
  callback: AtomicUsize,
  context: AtomicUsize,
  env: AtomicUsize,
  /// The env-teardown hook (`napi_async_cleanup_hook_handle`).
  hook: AtomicUsize,
  /// Words allocated for the handle.
  words: AtomicUsize,
}

impl UvWake {
  /// Makes the handle (unref'd) and registers the teardown hook.
  ///
  /// # Safety
  /// On the JS thread of `env`; `bell` is the bell owning this wake.
  unsafe fn open(
    &self,
    uv: &'static uv::Api,
    env: &Env,
    callback: &Function<'_, (), UnknownReturnValue>,
    bell: &Arc<Bell>,
  ) -> std::result::Result<(), ()> {
    let raw_env = env.raw();
    let mut lp = std::ptr::null_mut();
    if sys::napi_get_uv_event_loop(raw_env, &mut lp) != sys::Status::napi_ok || lp.is_null() {
      return Err(());
    }
    let mut fref = std::ptr::null_mut();
    if sys::napi_create_reference(raw_env, callback.raw(), 1, &mut fref) != sys::Status::napi_ok {
      return Err(());
    }
    let mut name = std::ptr::null_mut();
    let label = "ipc-main:doorbell";
    let mut ctx = std::ptr::null_mut();
    if sys::napi_create_string_utf8(
      raw_env,
      label.as_ptr().cast(),
      label.len() as isize,
      &mut name,
    ) != sys::Status::napi_ok
      || sys::napi_async_init(raw_env, std::ptr::null_mut(), name, &mut ctx) != sys::Status::napi_ok
    {
      sys::napi_delete_reference(raw_env, fref);
      return Err(());
    }
    let words = (uv.handle_size)(uv::UV_ASYNC).div_ceil(8);
    let handle = Box::into_raw(vec![0u64; words].into_boxed_slice()) as *mut u64 as *mut c_void;
    if (uv.async_init)(lp.cast(), handle, on_async) != 0 {
      drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
        handle as *mut u64,
        words,
      )));
      sys::napi_async_destroy(raw_env, ctx);
      sys::napi_delete_reference(raw_env, fref);
      return Err(());
    }
    // `data` is a handle's first field: the bell, one strong count held
    // until the close callback.
    *(handle as *mut *const Bell) = Arc::into_raw(bell.clone());
    (uv.unref)(handle);
    self.callback.store(fref as usize, Ordering::Relaxed);
    self.context.store(ctx as usize, Ordering::Relaxed);
    self.env.store(raw_env as usize, Ordering::Relaxed);
    self.words.store(words, Ordering::Relaxed);
    *self.handle.write().unwrap_or_else(|p| p.into_inner()) = handle as usize;
    let mut hook = std::ptr::null_mut();
    if sys::napi_add_async_cleanup_hook(
      raw_env,
      Some(on_teardown),
      Arc::as_ptr(bell) as *mut c_void,
      &mut hook,
    ) == sys::Status::napi_ok
    {
      self.hook.store(hook as usize, Ordering::Relaxed);
      Ok(())
    } else {
      // Nothing would close it before the loop does: give it up.
      self.close(true);
      Err(())
    }
  }

  fn send(&self) -> CoreResult<()> {
    let h = self.handle.read().unwrap_or_else(|p| p.into_inner());
    if *h == 0 {
      return Err(IpcError::Disconnected);
    }
    let uv = uv::api().ok_or(IpcError::Disconnected)?;
    // SAFETY: an open handle (the read lock keeps it from closing);
    // `uv_async_send` is thread-safe.
    unsafe { (uv.async_send)(*h as *mut c_void) };
    Ok(())
  }

  /// JS thread only.
  fn set_ref(&self, on: bool) {
    let h = self.handle.read().unwrap_or_else(|p| p.into_inner());
    if let (true, Some(uv)) = (*h != 0, uv::api()) {
      // SAFETY: an open handle, on its loop's thread.
      unsafe {
        if on {
          (uv.ref_)(*h as *mut c_void)
        } else {
          (uv.unref)(*h as *mut c_void)
        }
      }
    }
  }

  /// Closes the handle (JS thread only). `alive`: the env is not being
  /// torn down, so its callback reference and async context are freed now.
  fn close(&self, alive: bool) {
    let h = {
      let mut h = self.handle.write().unwrap_or_else(|p| p.into_inner());
      std::mem::replace(&mut *h, 0)
    };
    let Some(uv) = uv::api() else { return };
    if h == 0 {
      return;
    }
    let env = self.env.load(Ordering::Relaxed) as sys::napi_env;
    if alive {
      // SAFETY: on the env's thread, the env alive.
      unsafe {
        sys::napi_delete_reference(env, self.callback.swap(0, Ordering::Relaxed) as _);
        sys::napi_async_destroy(env, self.context.swap(0, Ordering::Relaxed) as _);
      }
    }
    // SAFETY: an open handle, closed once (the slot is 0 now), on its
    // loop's thread; `on_closed` frees it.
    unsafe { (uv.close)(h as *mut c_void, on_closed) };
  }
}

/// The async handle fired on the JS thread: calls the callback as a
/// top-level callback (microtasks and ticks run after it).
extern "C" fn on_async(handle: *mut c_void) {
  let _ = std::panic::catch_unwind(|| {
    // SAFETY: `data` was set to a live bell (a strong count) at open.
    let bell = unsafe { &**(handle as *const *const Bell) };
    let Wake::Uv(w) = &bell.wake else { return };
    let fref = w.callback.load(Ordering::Relaxed) as sys::napi_ref;
    if fref.is_null() {
      return;
    }
    let env = w.env.load(Ordering::Relaxed) as sys::napi_env;
    // SAFETY: on the env's thread, from its own loop: a fresh handle scope
    // around one call.
    unsafe {
      let mut scope = std::ptr::null_mut();
      if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
        return;
      }
      let mut func = std::ptr::null_mut();
      let mut recv = std::ptr::null_mut();
      let mut out = std::ptr::null_mut();
      if sys::napi_get_reference_value(env, fref, &mut func) == sys::Status::napi_ok
        && !func.is_null()
        && sys::napi_get_global(env, &mut recv) == sys::Status::napi_ok
      {
        let ctx = w.context.load(Ordering::Relaxed) as sys::napi_async_context;
        let st = sys::napi_make_callback(env, ctx, recv, func, 0, std::ptr::null(), &mut out);
        if st == sys::Status::napi_pending_exception {
          // A throw out of the pump itself (dispatchers' errors are
          // reported there): uncaught, as in any top-level callback; not
          // while the env stops (nothing to report to).
          let mut err = std::ptr::null_mut();
          let mut ty = sys::ValueType::napi_undefined;
          if sys::napi_get_and_clear_last_exception(env, &mut err) == sys::Status::napi_ok
            && !err.is_null()
            && sys::napi_typeof(env, err, &mut ty) == sys::Status::napi_ok
            && ty != sys::ValueType::napi_undefined
          {
            sys::napi_fatal_exception(env, err);
          }
        }
      }
      sys::napi_close_handle_scope(env, scope);
    }
  });
}

/// The handle is closed: free it, drop its count on the bell, and let env
/// teardown go on if it waited for this.
extern "C" fn on_closed(handle: *mut c_void) {
  let _ = std::panic::catch_unwind(|| {
    // SAFETY: `data` holds the strong count taken at open; the handle was
    // allocated there as `words` u64s and libuv is done with it.
    unsafe {
      let bell = Arc::from_raw(*(handle as *const *const Bell));
      if let Wake::Uv(w) = &bell.wake {
        let words = w.words.load(Ordering::Relaxed);
        let hook = w.hook.swap(0, Ordering::Relaxed) as sys::napi_async_cleanup_hook_handle;
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
          handle as *mut u64,
          words,
        )));
        if !hook.is_null() {
          sys::napi_remove_async_cleanup_hook(hook);
        }
      }
    }
  });
}

/// Env teardown (worker exit, process exit): close the handle before the
/// loop closes; teardown waits until `on_closed` removes this hook.
unsafe extern "C" fn on_teardown(_hook: sys::napi_async_cleanup_hook_handle, bell: *mut c_void) {
  let _ = std::panic::catch_unwind(|| {
    // SAFETY: the bell lives until `on_closed`, which removes this hook;
    // a hook is only called before its removal.
    let bell = unsafe { &*(bell as *const Bell) };
    if let Wake::Uv(w) = &bell.wake {
      w.close(false);
    }
  });
}

/// The few libuv functions the bell uses, found in the host process at run
/// time (Node exports libuv); none where the host does not.
mod uv {
  use std::ffi::{c_int, c_void, CStr};
  use std::sync::OnceLock;

  /// `UV_ASYNC` in `uv_handle_type`.
  pub const UV_ASYNC: c_int = 1;

  pub struct Api {
    pub handle_size: unsafe extern "C" fn(c_int) -> usize,
    pub async_init:
      unsafe extern "C" fn(*mut c_void, *mut c_void, extern "C" fn(*mut c_void)) -> c_int,
    pub async_send: unsafe extern "C" fn(*mut c_void) -> c_int,
    pub close: unsafe extern "C" fn(*mut c_void, extern "C" fn(*mut c_void)),
    pub ref_: unsafe extern "C" fn(*mut c_void),
    pub unref: unsafe extern "C" fn(*mut c_void),
  }

  #[cfg(unix)]
  fn find(name: &CStr) -> Option<*mut c_void> {
    // SAFETY: a NUL-terminated name looked up in the loaded images.
    let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!p.is_null()).then_some(p)
  }

  #[cfg(not(unix))]
  fn find(_name: &CStr) -> Option<*mut c_void> {
    None
  }

  /// The function `name` as an `F` (a function pointer type).
  ///
  /// # Safety
  /// `F` must be the C signature of that symbol.
  unsafe fn sym<F>(name: &CStr) -> Option<F> {
    let p = find(name)?;
    assert_eq!(std::mem::size_of::<F>(), std::mem::size_of::<*mut c_void>());
    // SAFETY: a function pointer of the same size, per the caller.
    Some(unsafe { std::mem::transmute_copy::<*mut c_void, F>(&p) })
  }

  /// The functions, if all are there and `IPC_MAIN_DOORBELL=uv` opts in.
  ///
  /// The threadsafe function stays the default doorbell: DESIGN.md makes
  /// it the one way frames from other threads reach JS, and no issue has
  /// approved replacing it yet (the uv handle is a measured proposal).
  pub fn api() -> Option<&'static Api> {
    static API: OnceLock<Option<Api>> = OnceLock::new();
    API
      .get_or_init(|| {
        if std::env::var_os("IPC_MAIN_DOORBELL").is_none_or(|v| v != "uv") {
          return None;
        }
        // SAFETY: each symbol is the libuv function of that name, whose
        // C signature the field's type spells.
        unsafe {
          Some(Api {
            handle_size: sym(c"uv_handle_size")?,
            async_init: sym(c"uv_async_init")?,
            async_send: sym(c"uv_async_send")?,
            close: sym(c"uv_close")?,
            ref_: sym(c"uv_ref")?,
            unref: sym(c"uv_unref")?,
          })
        }
      })
      .as_ref()
  }
}
