//! Socket renderers: the hub's listener (`NativeHub.listen`) and the
//! renderer end (a `NativeRenderer` on a socket route), with a handshake
//! that runs either blocking (a child's default `ipcRenderer`, made in a
//! getter) or on the libuv thread pool (`connect()`).
//!
//! Both ends read their sockets on their own JS thread's libuv loop
//! ([`super::uv::Poll`]): the renderer from the moment it opens; the hub
//! adopts each connection the IO runtime accepted and authenticated when it
//! next drains (before the CONNECT frame that announces it), and resumes
//! the connections it paused (its inbox over `maxQueueBytes`) once a drain
//! brings the inbox below the bound.

use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use super::doorbell::{SharedBell, TsfnBell};
use super::renderer::NativeRenderer;
use super::uv::{Deliver, Poll, Source};
use super::{from_napi, to_js, Code, JsFailure};
use crate::connection::Flow;
use crate::error::IpcError;
use crate::queue::Inbox;
use crate::route::Route;
use crate::transport::client::{handshake, Client, Connected};
use crate::transport::server::{Listener, Reading};

/// Finished handshakes waiting for `openSocketRenderer`, by handle. JS opens
/// one in the same turn it gets its handle, so an entry is only ever
/// waiting for a moment; one still here much later belongs to a JS thread
/// that went away meanwhile (a worker terminated mid-`connect()`), and is
/// dropped, closing its socket.
static HANDSHAKES: LazyLock<Mutex<HashMap<u32, Pending>>> = LazyLock::new(Default::default);
static NEXT_HANDSHAKE: AtomicU32 = AtomicU32::new(1);
/// How long a handle may wait to be opened before it counts as orphaned.
const ORPHANED: Duration = Duration::from_secs(60);

/// A finished handshake, the JS thread it was handed to, and when.
struct Pending {
  conn: Connected,
  thread: ThreadId,
  at: Instant,
}

thread_local! {
  /// This JS thread's env has the hook that forgets its handles.
  static HOOKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

unsafe extern "C" fn forget_thread_handles(_: *mut std::ffi::c_void) {
  HOOKED.with(|h| h.set(false));
  let me = std::thread::current().id();
  let gone: Vec<Pending> = {
    let mut table = HANDSHAKES.lock().unwrap_or_else(|p| p.into_inner());
    let mine: Vec<u32> = table
      .iter()
      .filter(|(_, p)| p.thread == me)
      .map(|(h, _)| *h)
      .collect();
    mine.into_iter().filter_map(|h| table.remove(&h)).collect()
  };
  // Closed outside the lock.
  drop(gone);
}

/// Makes sure this env forgets its unopened handles when it is torn down.
fn hook_env(env: &Env) {
  if HOOKED.with(|h| h.replace(true)) {
    return;
  }
  // SAFETY: a valid env of this thread; the hook has no data. It stays
  // registered for the env's life (one per JS thread).
  let status = unsafe {
    napi::sys::napi_add_env_cleanup_hook(
      env.raw(),
      Some(forget_thread_handles),
      std::ptr::null_mut(),
    )
  };
  if status != napi::sys::Status::napi_ok {
    HOOKED.with(|h| h.set(false));
  }
}

fn run_handshake(
  path: &str,
  token: &str,
  meta: &str,
  timeout_ms: u32,
) -> std::result::Result<Connected, IpcError> {
  let meta = serde_json::from_str(meta).unwrap_or(serde_json::Value::Null);
  let timeout = Duration::from_millis(timeout_ms.max(1) as u64);
  handshake(std::path::Path::new(path), token, meta, timeout)
}

/// Hands a finished handshake to JS (on its thread) as a handle.
fn register(env: &Env, conn: Connected) -> u32 {
  hook_env(env);
  let h = NEXT_HANDSHAKE.fetch_add(1, Ordering::Relaxed);
  let at = Instant::now();
  let mut table = HANDSHAKES.lock().unwrap_or_else(|p| p.into_inner());
  table.retain(|_, p| at.duration_since(p.at) < ORPHANED);
  let thread = std::thread::current().id();
  table.insert(h, Pending { conn, thread, at });
  h
}

/// Connects and authenticates, blocking this thread: a handle for
/// `openSocketRenderer`. Throws with the refusal's code (`IPC_AUTH_FAILED`,
/// `IPC_PROTOCOL`, `ENOENT`, ...).
#[napi(catch_unwind)]
pub fn socket_connect_sync(
  env: Env,
  path: String,
  token: String,
  meta: String,
  timeout_ms: u32,
) -> Result<u32, Code> {
  let conn = run_handshake(&path, &token, &meta, timeout_ms).map_err(to_js)?;
  Ok(register(&env, conn))
}

pub struct Handshake {
  path: String,
  token: String,
  meta: String,
  timeout_ms: u32,
  /// The handle `resolve` registered, until the promise is known settled.
  registered: Option<u32>,
}

impl Drop for Handshake {
  /// Dropped without `finally` (it runs only once the promise settled):
  /// the JS thread is being torn down, so nobody will open the handle.
  fn drop(&mut self) {
    if let Some(h) = self.registered.take() {
      let gone = HANDSHAKES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&h);
      drop(gone);
    }
  }
}

impl Task for Handshake {
  // The connection itself until it is back on the JS thread: if that
  // thread is gone first, it is dropped (closed) with the task, never left
  // in the table (nor once registered: see `Drop`).
  type Output = std::result::Result<Connected, IpcError>;
  type JsValue = Either<u32, JsFailure>;

  fn compute(&mut self) -> Result<Self::Output> {
    Ok(run_handshake(
      &self.path,
      &self.token,
      &self.meta,
      self.timeout_ms,
    ))
  }

  fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
    // A task rejects only with a napi status: the error (with its code)
    // is resolved instead, and JS throws it.
    Ok(match output {
      Ok(conn) => {
        let h = register(&env, conn);
        self.registered = Some(h);
        Either::A(h)
      }
      Err(e) => Either::B(JsFailure(to_js(e))),
    })
  }

  fn finally(mut self, _env: Env) -> Result<()> {
    // The promise settled: its continuation opens the handle.
    self.registered = None;
    Ok(())
  }
}

/// As `socketConnectSync`, off the JS thread: resolves with the handle, or
/// with the error (its `code` set) for JS to throw.
#[napi(catch_unwind)]
pub fn socket_connect(
  path: String,
  token: String,
  meta: String,
  timeout_ms: u32,
) -> AsyncTask<Handshake> {
  AsyncTask::new(Handshake {
    path,
    token,
    meta,
    timeout_ms,
    registered: None,
  })
}

/// Starts the renderer of a finished handshake; its doorbell calls
/// `onDoorbell()` on this thread. `null` for an unknown handle.
#[napi(catch_unwind)]
pub fn open_socket_renderer(
  env: Env,
  handle: u32,
  on_doorbell: Function<'_, (), UnknownReturnValue>,
) -> Result<Option<NativeRenderer>, Code> {
  let connected = HANDSHAKES
    .lock()
    .unwrap_or_else(|p| p.into_inner())
    .remove(&handle);
  let Some(Pending { conn: c, .. }) = connected else {
    return Ok(None);
  };
  let (id, main_pid, max_frame) = (c.id, c.main_pid, c.max_frame);
  let deliver = Deliver::new(&env, &on_doorbell);
  let bell = TsfnBell::new(&env, on_doorbell).map_err(from_napi)?;
  let inbox = Arc::new(Inbox::new(Box::new(SharedBell(bell.clone()))));
  let client = Client::open(c, inbox.clone()).map_err(|e| to_js(IpcError::io(&e)))?;
  // The poll closes itself when the connection ends (or the env goes).
  let source = Box::new(ClientSource(client.clone()));
  let _ = Poll::start(&env, client.fd(), source, deliver);
  let route = Route::Socket {
    client,
    main_pid,
    max_frame,
  };
  Ok(Some(NativeRenderer::new(route, id, inbox, bell, true)))
}

/// Where and how a hub listens (see `NativeHub.listen`).
pub(crate) fn listen(
  hub: Arc<crate::hub::Hub>,
  path: String,
  token: String,
  max_frame: f64,
  max_queue: f64,
) -> std::result::Result<Listener, IpcError> {
  let max_frame = if max_frame.is_finite() && max_frame >= 1024.0 {
    (max_frame as usize).min(u32::MAX as usize)
  } else {
    crate::wire::DEFAULT_MAX_FRAME
  };
  let max_queue = if max_queue >= 1.0 {
    // Infinity saturates: no bound.
    max_queue as usize
  } else {
    crate::transport::server::DEFAULT_MAX_QUEUE
  };
  let opts = crate::transport::server::Options {
    path: PathBuf::from(path),
    token,
    max_frame,
    max_queue,
    adopt: true,
  };
  crate::transport::server::listen(hub, opts).map_err(|e| IpcError::io(&e))
}

struct ClientSource(Arc<Client>);

impl Drop for ClientSource {
  /// The poll closed (its connection ended, or a read panicked): the
  /// renderer hears `CLOSED` once either way.
  fn drop(&mut self) {
    self.0.abort_reading();
  }
}

impl Source for ClientSource {
  fn on_readable(&mut self) -> Flow {
    self.0.on_readable()
  }

  fn has_queued(&self) -> bool {
    self.0.has_queued()
  }

  fn ring(&self) {
    self.0.ring();
  }

  fn abort(&mut self) {
    self.0.drop_connection();
  }

  fn fallback(self: Box<Self>) {
    self.0.read_on_runtime();
  }
}

impl Source for Reading {
  fn on_readable(&mut self) -> Flow {
    Reading::on_readable(self)
  }

  fn can_resume(&self) -> bool {
    Reading::can_resume(self)
  }

  fn read_now(&mut self) -> Flow {
    Reading::read_now(self)
  }

  fn has_queued(&self) -> bool {
    Reading::has_queued(self)
  }

  fn ring(&self) {
    Reading::ring(self)
  }

  fn abort(&mut self) {
    Reading::abort(self)
  }

  fn fallback(self: Box<Self>) {
    self.read_on_runtime();
  }
}

/// The connections a hub reads on its JS thread (JS thread only).
pub(crate) struct Readers {
  polls: Vec<Poll>,
  deliver: Option<Rc<Deliver>>,
}

impl Readers {
  /// Readers whose reads call `drain` (the hub's doorbell callback) at once.
  pub(crate) fn new<A: JsValuesTupleIntoVec, R>(env: &Env, drain: &Function<'_, A, R>) -> Self {
    Readers {
      polls: Vec::new(),
      deliver: Deliver::new(env, drain),
    }
  }

  /// Adopts the connections `listener` attached since the last call
  /// (before draining: their CONNECT frames are in the inbox).
  pub(crate) fn adopt(&mut self, env: &Env, listener: &Listener) {
    if !listener.has_adopted() {
      return;
    }
    for reading in listener.take_adopted() {
      let fd = reading.fd();
      if let Some(p) = Poll::start(env, fd, Box::new(reading), self.deliver.clone()) {
        self.polls.push(p);
      }
    }
  }

  /// Reads every connection once now, past the queue bound (before a close
  /// delivers what renderers sent: bytes still in a socket were sent too).
  pub(crate) fn read_now(&mut self, env: &Env, listener: Option<&Listener>) {
    if let Some(l) = listener {
      self.adopt(env, l);
    }
    for p in &self.polls {
      p.read_now();
    }
  }

  /// After a drain: resumes paused connections if the inbox has room, and
  /// forgets closed ones.
  pub(crate) fn resume(&mut self) {
    if self.polls.is_empty() {
      return;
    }
    self.polls.retain(|p| !p.is_closed());
    for p in &self.polls {
      // A no-op unless it is paused.
      p.resume();
    }
  }
}
