//! Socket renderers: the hub's listener (`NativeHub.listen`) and the
//! renderer end (a `NativeRenderer` on a socket route), with a handshake
//! that runs either blocking (a child's default `ipcRenderer`, made in a
//! getter) or on the libuv thread pool (`connect()`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use super::doorbell::{SharedBell, TsfnBell};
use super::renderer::NativeRenderer;
use super::{from_napi, to_js, Code, JsFailure};
use crate::error::IpcError;
use crate::queue::Inbox;
use crate::route::Route;
use crate::transport::client::{handshake, Client, Connected};

static HANDSHAKES: LazyLock<Mutex<HashMap<u32, Connected>>> = LazyLock::new(Default::default);
static NEXT_HANDSHAKE: AtomicU32 = AtomicU32::new(1);

fn run_handshake(
  path: &str,
  token: &str,
  meta: &str,
  timeout_ms: u32,
) -> std::result::Result<u32, IpcError> {
  let meta = serde_json::from_str(meta).unwrap_or(serde_json::Value::Null);
  let timeout = Duration::from_millis(timeout_ms.max(1) as u64);
  let c = handshake(std::path::Path::new(path), token, meta, timeout)?;
  let h = NEXT_HANDSHAKE.fetch_add(1, Ordering::Relaxed);
  HANDSHAKES
    .lock()
    .unwrap_or_else(|p| p.into_inner())
    .insert(h, c);
  Ok(h)
}

/// Connects and authenticates, blocking this thread: a handle for
/// `openSocketRenderer`. Throws with the refusal's code (`IPC_AUTH_FAILED`,
/// `IPC_PROTOCOL`, `ENOENT`, ...).
#[napi(catch_unwind)]
pub fn socket_connect_sync(
  path: String,
  token: String,
  meta: String,
  timeout_ms: u32,
) -> Result<u32, Code> {
  run_handshake(&path, &token, &meta, timeout_ms).map_err(to_js)
}

pub struct Handshake {
  path: String,
  token: String,
  meta: String,
  timeout_ms: u32,
}

impl Task for Handshake {
  type Output = std::result::Result<u32, IpcError>;
  type JsValue = Either<u32, JsFailure>;

  fn compute(&mut self) -> Result<Self::Output> {
    Ok(run_handshake(
      &self.path,
      &self.token,
      &self.meta,
      self.timeout_ms,
    ))
  }

  fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
    // A task rejects only with a napi status: the error (with its code)
    // is resolved instead, and JS throws it.
    Ok(match output {
      Ok(h) => Either::A(h),
      Err(e) => Either::B(JsFailure(to_js(e))),
    })
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
  let Some(c) = connected else { return Ok(None) };
  let (id, main_pid, max_frame) = (c.id, c.main_pid, c.max_frame);
  let bell = TsfnBell::new(&env, on_doorbell).map_err(from_napi)?;
  let inbox = Arc::new(Inbox::new(Box::new(SharedBell(bell.clone()))));
  let client = Client::start(c, inbox.clone()).map_err(|e| to_js(IpcError::io(&e)))?;
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
) -> std::result::Result<crate::transport::server::Listener, IpcError> {
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
  crate::transport::server::listen(hub, opts).map_err(|e| IpcError::io(&e))
}
