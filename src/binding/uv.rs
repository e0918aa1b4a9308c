//! Reading a socket on a JS thread's own libuv loop, as Node's own IPC
//! reads its pipe: a `uv_poll_t` on the descriptor whose callback reads
//! what is there (inline, no thread hop) into the owner's queue.
//!
//! libuv is Node's, found at run time (`dlsym`: Node exports it; `cargo
//! test` binaries then link without it). libuv is not thread-safe, so a
//! [`Poll`] is made, paused, resumed and closed on the JS thread that owns
//! the loop only, and it is `!Send`. Polls are unref'd: keeping the process
//! alive stays with the doorbells. Each poll registers an async env cleanup
//! hook, so a worker's teardown closes the handle (and waits for libuv to
//! let go of it) before Node closes the loop.

use std::alloc::Layout;
use std::cell::{Cell, RefCell};
use std::os::raw::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::LazyLock;

use napi::bindgen_prelude::*;

use crate::connection::Flow;

const UV_POLL: c_int = 8;
const UV_READABLE: c_int = 1;

type PollCb = unsafe extern "C" fn(*mut c_void, c_int, c_int);
type CloseCb = unsafe extern "C" fn(*mut c_void);

type InitFn = unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int;
type StartFn = unsafe extern "C" fn(*mut c_void, c_int, PollCb) -> c_int;
type StopFn = unsafe extern "C" fn(*mut c_void) -> c_int;
type CloseFn = unsafe extern "C" fn(*mut c_void, Option<CloseCb>);
type UnrefFn = unsafe extern "C" fn(*mut c_void);
type SizeFn = unsafe extern "C" fn(c_int) -> usize;

/// The libuv functions used, resolved in the running process.
struct Uv {
  poll_init: InitFn,
  poll_start: StartFn,
  poll_stop: StopFn,
  close: CloseFn,
  unref: UnrefFn,
  handle_size: SizeFn,
}

static UV: LazyLock<Option<Uv>> = LazyLock::new(|| {
  fn sym(name: &std::ffi::CStr) -> Option<*mut c_void> {
    // SAFETY: looking up a symbol of the running process.
    let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!p.is_null()).then_some(p)
  }
  // SAFETY: each symbol is libuv's function of that name, whose C signature
  // the field's type spells.
  unsafe {
    Some(Uv {
      poll_init: std::mem::transmute::<*mut c_void, InitFn>(sym(c"uv_poll_init")?),
      poll_start: std::mem::transmute::<*mut c_void, StartFn>(sym(c"uv_poll_start")?),
      poll_stop: std::mem::transmute::<*mut c_void, StopFn>(sym(c"uv_poll_stop")?),
      close: std::mem::transmute::<*mut c_void, CloseFn>(sym(c"uv_close")?),
      unref: std::mem::transmute::<*mut c_void, UnrefFn>(sym(c"uv_unref")?),
      handle_size: std::mem::transmute::<*mut c_void, SizeFn>(sym(c"uv_handle_size")?),
    })
  }
});

/// What a poll reads for: called on the loop's thread when the descriptor
/// is readable (or hung up, or failed: the read then says so).
pub(crate) trait Source {
  /// Reads what is there into the owner's inbox, quietly; says whether to
  /// go on, pause or stop.
  fn on_readable(&mut self) -> Flow;
  /// Frames wait in the owner's inbox.
  fn has_queued(&self) -> bool;
  /// Rings the owner's doorbell (when its drain cannot be called here).
  fn ring(&self);
  /// Reads once now whatever the owner's queue holds (paused or not).
  fn read_now(&mut self) -> Flow {
    self.on_readable()
  }
  /// After a pause: whether reading may resume now.
  fn can_resume(&self) -> bool {
    true
  }
  /// The env is torn down: end the connection now.
  fn abort(&mut self);
  /// No poll could be made here: read some other way (the IO runtime).
  fn fallback(self: Box<Self>);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
  Active,
  Paused,
  Closing,
}

/// The owner's drain, a JS function called straight from the poll
/// callback after a read queued frames (this thread, no JS on the stack):
/// no doorbell, so no eventfd write and read and no extra loop turn.
pub(crate) struct Deliver {
  env: napi::sys::napi_env,
  func: napi::sys::napi_ref,
}

impl Deliver {
  /// Holds `func` (the doorbell callback) for direct calls.
  pub(crate) fn new<A: napi::bindgen_prelude::JsValuesTupleIntoVec, R>(
    env: &Env,
    func: &Function<'_, A, R>,
  ) -> Option<Rc<Deliver>> {
    let mut r = std::ptr::null_mut();
    let v = napi::JsValue::value(func).value;
    // SAFETY: a live function value of this env, on its thread.
    let st = unsafe { napi::sys::napi_create_reference(env.raw(), v, 1, &mut r) };
    (st == napi::sys::Status::napi_ok).then(|| {
      Rc::new(Deliver {
        env: env.raw(),
        func: r,
      })
    })
  }

  /// Calls the function as a callback from the loop (microtasks and ticks
  /// run after it). `false` if JS cannot be called now (then ring).
  fn call(&self) -> bool {
    use napi::sys;
    let env = self.env;
    // SAFETY: on the env's own thread, from a libuv callback (no JS on the
    // stack); the env is alive (the poll is closed before it goes).
    unsafe {
      let mut scope = std::ptr::null_mut();
      if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
        return false;
      }
      let mut func = std::ptr::null_mut();
      let mut global = std::ptr::null_mut();
      let mut called = false;
      if sys::napi_get_reference_value(env, self.func, &mut func) == sys::Status::napi_ok
        && !func.is_null()
        && sys::napi_get_global(env, &mut global) == sys::Status::napi_ok
      {
        let mut result = std::ptr::null_mut();
        let st = sys::napi_make_callback(
          env,
          std::ptr::null_mut(),
          global,
          func,
          0,
          std::ptr::null(),
          &mut result,
        );
        called = st == sys::Status::napi_ok;
        // `napi_pending_exception` also means "JS cannot run now" (the env
        // is being torn down): then nothing was called and nothing thrown.
        let mut pending = false;
        if st == sys::Status::napi_pending_exception
          && sys::napi_is_exception_pending(env, &mut pending) == sys::Status::napi_ok
          && pending
        {
          called = true;
          let mut err = std::ptr::null_mut();
          let mut t: sys::napi_valuetype = sys::ValueType::napi_undefined;
          // As a throwing doorbell callback: an uncaught exception (not a
          // termination, which has no value to report).
          if sys::napi_get_and_clear_last_exception(env, &mut err) == sys::Status::napi_ok
            && sys::napi_typeof(env, err, &mut t) == sys::Status::napi_ok
            && t != sys::ValueType::napi_undefined
            && t != sys::ValueType::napi_null
          {
            sys::napi_fatal_exception(env, err);
          }
        }
      }
      sys::napi_close_handle_scope(env, scope);
      called
    }
  }
}

impl Drop for Deliver {
  fn drop(&mut self) {
    // SAFETY: our reference, deleted once, on the env's thread (dropped by
    // the poll's callbacks or by the owner's finalizer).
    unsafe {
      napi::sys::napi_delete_reference(self.env, self.func);
    }
  }
}

struct Inner {
  handle: *mut c_void,
  /// Called after reads instead of ringing; taken at env teardown.
  deliver: RefCell<Option<Rc<Deliver>>>,
  layout: Layout,
  source: RefCell<Option<Box<dyn Source>>>,
  state: Cell<State>,
  hook: Cell<napi::sys::napi_async_cleanup_hook_handle>,
}

/// One polled descriptor of this JS thread's loop.
pub(crate) struct Poll(Rc<Inner>);

impl Poll {
  /// Starts polling `fd` for `source` on `env`'s loop (call on its thread).
  /// When libuv cannot be used here (not found, or the poll cannot be
  /// made), the source falls back to reading on the IO runtime: `None`.
  pub(crate) fn start(
    env: &Env,
    fd: c_int,
    source: Box<dyn Source>,
    deliver: Option<Rc<Deliver>>,
  ) -> Option<Poll> {
    match Poll::try_start(env, fd, source, deliver) {
      Ok(p) => p,
      Err(source) => {
        source.fallback();
        None
      }
    }
  }

  fn try_start(
    env: &Env,
    fd: c_int,
    source: Box<dyn Source>,
    deliver: Option<Rc<Deliver>>,
  ) -> std::result::Result<Option<Poll>, Box<dyn Source>> {
    let Some(uv) = UV.as_ref() else {
      return Err(source);
    };
    let mut uv_loop = std::ptr::null_mut();
    // SAFETY: a live env on its own thread.
    let st = unsafe { napi::sys::napi_get_uv_event_loop(env.raw(), &mut uv_loop) };
    if st != napi::sys::Status::napi_ok || uv_loop.is_null() {
      return Err(source);
    }
    // SAFETY: libuv's own answer for the size of its handle type.
    let size = unsafe { (uv.handle_size)(UV_POLL) };
    let Ok(layout) = Layout::from_size_align(size.max(64), 16) else {
      return Err(source);
    };
    // SAFETY: a non-zero layout.
    let handle = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<c_void>();
    if handle.is_null() {
      return Err(source);
    }
    // SAFETY: a fresh handle of the right size on this thread's loop.
    if unsafe { (uv.poll_init)(uv_loop.cast(), handle, fd) } != 0 {
      // SAFETY: never initialized, so libuv holds nothing of it.
      unsafe { std::alloc::dealloc(handle.cast(), layout) };
      return Err(source);
    }
    let inner = Rc::new(Inner {
      handle,
      deliver: RefCell::new(deliver),
      layout,
      source: RefCell::new(Some(source)),
      state: Cell::new(State::Active),
      hook: Cell::new(std::ptr::null_mut()),
    });
    // The handle's `data` (its first field) holds one count of `inner`,
    // given back in `on_close`.
    let raw = Rc::into_raw(inner.clone());
    // SAFETY: `data` is the first field of every uv handle; initialized
    // handle, this thread.
    unsafe {
      *handle.cast::<*const Inner>() = raw;
      (uv.unref)(handle);
      let mut hook = std::ptr::null_mut();
      if napi::sys::napi_add_async_cleanup_hook(
        env.raw(),
        Some(on_env_cleanup),
        raw as *mut c_void,
        &mut hook,
      ) == napi::sys::Status::napi_ok
      {
        inner.hook.set(hook);
      }
      if (uv.poll_start)(handle, UV_READABLE, on_poll) != 0 {
        // Its source ends with it (dropped in `on_close`).
        close(&inner);
        return Ok(None);
      }
      // Bytes that came with the handshake are buffered already: no poll
      // event would announce them. Rung, not delivered: the owner's JS is
      // on the stack (this is called from its drain, or before it exists).
      poll_once(&inner, false);
    }
    Ok(Some(Poll(inner)))
  }

  /// Whether it stopped for good.
  pub(crate) fn is_closed(&self) -> bool {
    self.0.state.get() == State::Closing
  }

  /// Resumes a paused poll if its source says it may.
  pub(crate) fn resume(&self) {
    let inner = &self.0;
    if inner.state.get() != State::Paused {
      return;
    }
    let may = inner
      .source
      .borrow()
      .as_ref()
      .is_some_and(|s| s.can_resume());
    if !may {
      return;
    }
    let Some(uv) = UV.as_ref() else { return };
    // SAFETY: a live (not closing) handle, this thread.
    if unsafe { (uv.poll_start)(inner.handle, UV_READABLE, on_poll) } == 0 {
      inner.state.set(State::Active);
    }
  }

  /// Reads what the socket has now (one wake-up's worth), ringing the
  /// owner's doorbell rather than calling its drain (the caller is JS).
  pub(crate) fn read_now(&self) {
    let inner = &self.0;
    if inner.state.get() == State::Closing {
      return;
    }
    let flow = catch_unwind(AssertUnwindSafe(|| {
      let mut source = inner.source.borrow_mut();
      source.as_mut().map_or(Flow::Done, |s| {
        let flow = s.read_now();
        s.ring();
        flow
      })
    }))
    .unwrap_or(Flow::Done);
    if flow == Flow::Done {
      close(inner);
    }
  }
}

/// Stops and closes the handle (once); `on_close` frees it.
fn close(inner: &Inner) {
  if inner.state.replace(State::Closing) == State::Closing {
    return;
  }
  if let Some(uv) = UV.as_ref() {
    // SAFETY: an initialized handle not yet closing, this thread.
    unsafe {
      (uv.poll_stop)(inner.handle);
      (uv.close)(inner.handle, Some(on_close));
    }
  }
}

unsafe extern "C" fn on_poll(handle: *mut c_void, _status: c_int, _events: c_int) {
  // SAFETY: `data` was set to a live `Inner` before the poll started, and
  // stays until `on_close`; we are in its callback.
  let inner = unsafe { rc_of(handle) };
  // A failed poll (`_status` < 0) is read too: the read reports the error.
  poll_once(&inner, true);
}

/// One wake-up: read, deliver (call the drain when `direct`, else ring),
/// then pause or close as the source says.
fn poll_once(inner: &Rc<Inner>, direct: bool) {
  if inner.state.get() != State::Active {
    return;
  }
  let (flow, queued) = catch_unwind(AssertUnwindSafe(|| {
    let mut source = inner.source.borrow_mut();
    match source.as_mut() {
      Some(s) => (s.on_readable(), s.has_queued()),
      None => (Flow::Done, false),
    }
  }))
  .unwrap_or((Flow::Done, false));
  if queued {
    let deliver = if direct {
      inner.deliver.borrow().clone()
    } else {
      None
    };
    // The drain runs user code, which may close or pause this poll: no
    // borrow is held across it.
    let delivered = deliver.is_some_and(|d| d.call());
    if !delivered {
      if let Some(s) = inner.source.borrow().as_ref() {
        s.ring();
      }
    }
  }
  match flow {
    Flow::Wait | Flow::Again => {}
    Flow::Pause => {
      if inner.state.get() != State::Active {
        return;
      }
      if let Some(uv) = UV.as_ref() {
        // SAFETY: an active handle, this thread.
        unsafe { (uv.poll_stop)(inner.handle) };
      }
      inner.state.set(State::Paused);
      // The consumer may have drained meanwhile: no drain would resume it.
      Poll(inner.clone()).resume();
    }
    Flow::Done => close(inner),
  }
}

/// A new count of the `Inner` whose handle this is.
///
/// # Safety
/// `handle` is a live poll handle made by [`Poll::start`].
unsafe fn rc_of(handle: *mut c_void) -> Rc<Inner> {
  let raw = unsafe { *handle.cast::<*const Inner>() };
  // SAFETY: `raw` came from `Rc::into_raw` and its count is still held.
  unsafe {
    Rc::increment_strong_count(raw);
    Rc::from_raw(raw)
  }
}

unsafe extern "C" fn on_close(handle: *mut c_void) {
  // SAFETY: the count `Poll::start` stored in `data`, given back once.
  let inner = unsafe { Rc::from_raw(*handle.cast::<*const Inner>()) };
  let hook = inner.hook.replace(std::ptr::null_mut());
  let source = inner.source.borrow_mut().take();
  let deliver = inner.deliver.borrow_mut().take();
  let _ = catch_unwind(AssertUnwindSafe(|| drop((source, deliver))));
  // SAFETY: libuv is done with the handle (this is its close callback).
  unsafe { std::alloc::dealloc(handle.cast(), inner.layout) };
  if !hook.is_null() {
    // SAFETY: the hook registered in `Poll::start`, removed once (also
    // tells a running env teardown this handle is gone).
    unsafe { napi::sys::napi_remove_async_cleanup_hook(hook) };
  }
}

unsafe extern "C" fn on_env_cleanup(
  _hook: napi::sys::napi_async_cleanup_hook_handle,
  arg: *mut c_void,
) {
  // SAFETY: `arg` is the `Inner` whose count the handle holds until
  // `on_close`, which removes this hook: it is alive here.
  let inner = unsafe { &*(arg as *const Inner) };
  // No JS from here on; its reference goes while the env is whole.
  let deliver = inner.deliver.borrow_mut().take();
  drop(deliver);
  let _ = catch_unwind(AssertUnwindSafe(|| {
    if let Some(s) = inner.source.borrow_mut().as_mut() {
      s.abort();
    }
  }));
  close(inner);
}
