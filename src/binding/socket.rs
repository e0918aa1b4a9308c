//! Socket renderers: the hub's listener (`NativeHub.listen`) and the
//! renderer end (`NativeSocketRenderer`), with a handshake that runs either
//! blocking (a child's default `ipcRenderer`, made in a getter) or on the
//! libuv thread pool (`connect()`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use super::doorbell::{SharedBell, TsfnBell};
use super::{frame_within, Payload};
use crate::queue::Inbox;
use crate::transport::client::{handshake, Client, Connected};
use crate::wire::kind;

/// How long a blocked `sendSync` spins before parking: shorter than a
/// thread's, since an answer over a socket takes tens of microseconds and
/// the spin would take the CPU main needs to answer.
const SYNC_SPIN: Duration = Duration::from_micros(10);

static HANDSHAKES: LazyLock<Mutex<HashMap<u32, Connected>>> = LazyLock::new(Default::default);
static NEXT_HANDSHAKE: AtomicU32 = AtomicU32::new(1);

/// `[code, message]` of a failed call, for JS to throw with `err.code`.
pub(crate) type Failure = Vec<String>;

fn run_handshake(path: &str, token: &str, meta: &str, timeout_ms: u32) -> Either<u32, Vec<String>> {
  let meta = serde_json::from_str(meta).unwrap_or(serde_json::Value::Null);
  let timeout = Duration::from_millis(timeout_ms.max(1) as u64);
  match handshake(std::path::Path::new(path), token, meta, timeout) {
    Ok(c) => {
      let h = NEXT_HANDSHAKE.fetch_add(1, Ordering::Relaxed);
      HANDSHAKES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(h, c);
      Either::A(h)
    }
    Err(e) => Either::B(vec![e.code(), e.to_string()]),
  }
}

/// Connects and authenticates, blocking this thread: a handle for
/// `openSocketRenderer`, or `[code, message]`.
#[napi(catch_unwind)]
pub fn socket_connect_sync(
  path: String,
  token: String,
  meta: String,
  timeout_ms: u32,
) -> Either<u32, Vec<String>> {
  run_handshake(&path, &token, &meta, timeout_ms)
}

pub struct Handshake {
  path: String,
  token: String,
  meta: String,
  timeout_ms: u32,
}

impl Task for Handshake {
  type Output = Either<u32, Vec<String>>;
  type JsValue = Either<u32, Vec<String>>;

  fn compute(&mut self) -> Result<Self::Output> {
    Ok(run_handshake(
      &self.path,
      &self.token,
      &self.meta,
      self.timeout_ms,
    ))
  }

  fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
    Ok(output)
  }
}

/// As `socketConnectSync`, off the JS thread.
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
  })
}

/// Starts the renderer of a finished handshake; its doorbell calls
/// `onDoorbell()` on this thread. `null` for an unknown handle.
#[napi(catch_unwind)]
pub fn open_socket_renderer(
  env: Env,
  handle: u32,
  on_doorbell: Function<'_, (), UnknownReturnValue>,
) -> Result<Option<NativeSocketRenderer>> {
  let connected = HANDSHAKES
    .lock()
    .unwrap_or_else(|p| p.into_inner())
    .remove(&handle);
  let Some(c) = connected else { return Ok(None) };
  let (id, main_pid, max_frame) = (c.id, c.main_pid, c.max_frame);
  let bell = Arc::new(TsfnBell::new(&env, on_doorbell)?);
  let inbox = Arc::new(Inbox::new(Box::new(SharedBell(bell.clone()))));
  let client = Client::start(c, inbox.clone()).map_err(|e| Error::from_reason(e.to_string()))?;
  Ok(Some(NativeSocketRenderer {
    client,
    id,
    main_pid,
    max_frame,
    inbox,
    bell,
    scratch: Vec::new(),
    burst: Default::default(),
    closed: false,
  }))
}

/// A renderer connected to a main over a socket.
#[napi]
pub struct NativeSocketRenderer {
  client: Arc<Client>,
  id: u32,
  main_pid: u32,
  max_frame: usize,
  inbox: Arc<Inbox>,
  bell: Arc<TsfnBell>,
  scratch: Vec<u8>,
  burst: super::Burst,
  closed: bool,
}

impl NativeSocketRenderer {
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
    let f = frame_within(kind, codec, self.id, request, channel, p, self.max_frame)?;
    let len = f.len();
    let ok = self.client.push_quiet(f).is_ok();
    if ok && self.burst.add(len) {
      self.client.flush();
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
    let f = frame_within(
      kind::SEND_SYNC as u32,
      codec,
      self.id,
      request,
      channel,
      p,
      self.max_frame,
    )?;
    match self.client.send_sync(request, f, SYNC_SPIN) {
      Ok(reply) => BufferSlice::copy_from(env, &reply).map(Some),
      Err(_) => Ok(None),
    }
  }

  fn shut(&mut self, explicit: bool) {
    if std::mem::replace(&mut self.closed, true) {
      return;
    }
    if explicit {
      self.client.close();
    } else {
      self.client.drop_connection();
    }
    self.inbox.close();
    self.bell.keep_alive(false);
    self.bell.release();
  }
}

impl Drop for NativeSocketRenderer {
  fn drop(&mut self) {
    self.shut(false);
  }
}

#[napi]
impl NativeSocketRenderer {
  /// The renderer id main assigned (its WebContents id there).
  #[napi(getter)]
  pub fn id(&self) -> u32 {
    self.id
  }

  /// Main's process id.
  #[napi(getter)]
  pub fn main_pid(&self) -> u32 {
    self.main_pid
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

  /// Sends a `sendSync` and blocks this thread for main's answer (codec
  /// byte first); `null` once disconnected.
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

  /// Queues frames JS wrote back to back (see `check_batch`) and writes
  /// them; `false` once disconnected.
  #[napi(catch_unwind)]
  pub fn send_frames(&self, frames: &[u8]) -> Result<bool> {
    if self.closed {
      return Ok(false);
    }
    super::check_batch(frames, self.max_frame)?;
    self.burst.reset();
    let ok = self.client.push_quiet(frames.to_vec()).is_ok();
    self.client.flush();
    Ok(ok)
  }

  /// The largest frame main accepts.
  #[napi(getter)]
  pub fn max_frame(&self) -> f64 {
    self.max_frame as f64
  }

  /// Writes the frames sent since the last flush.
  #[napi(catch_unwind)]
  pub fn flush(&self) {
    self.burst.reset();
    self.client.flush();
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

  /// Keeps this process alive (listeners, an invoke in flight) or not.
  #[napi(catch_unwind)]
  pub fn keep_alive(&self, on: bool) {
    self.bell.keep_alive(on);
  }

  /// Writes everything queued, blocking up to `timeoutMs` (process exit).
  #[napi(catch_unwind)]
  pub fn flush_blocking(&self, timeout_ms: u32) -> bool {
    self
      .client
      .flush_blocking(Duration::from_millis(timeout_ms as u64))
  }

  /// Says goodbye to main and closes. Idempotent.
  #[napi(catch_unwind)]
  pub fn close(&mut self) {
    self.shut(true);
  }
}

/// Where and how a hub listens (see `NativeHub.listen`).
pub(crate) fn listen(
  hub: Arc<crate::hub::Hub>,
  path: String,
  token: String,
  max_frame: f64,
) -> std::result::Result<crate::transport::server::Listener, Failure> {
  let max_frame = if max_frame.is_finite() && max_frame >= 1024.0 {
    (max_frame as usize).min(u32::MAX as usize)
  } else {
    crate::wire::DEFAULT_MAX_FRAME
  };
  let opts = crate::transport::server::Options {
    path: PathBuf::from(path),
    token,
    max_frame,
  };
  crate::transport::server::listen(hub, opts)
    .map_err(|e| vec![crate::transport::io_code(&e).to_owned(), e.to_string()])
}
