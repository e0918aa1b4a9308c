//! A hub's listening socket: accepts connections, checks each one's token,
//! attaches it to the hub as a renderer and reads its frames into the hub's
//! inbox. A connection that misbehaves (bad handshake, malformed, oversized
//! or unexpected frame) is closed alone, with a line on stderr; the hub and
//! every other connection go on.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};
use tokio::net::UnixStream;
use tokio::task::JoinHandle;

use super::{constant_time_eq, runtime, HANDSHAKE_LIMIT, HANDSHAKE_TIMEOUT, PROTOCOL};
use crate::connection::{read_frames, view, Conn, FrameReader, Next, ReadEnd};
use crate::error::IpcError;
use crate::hub::Hub;
use crate::wire::{self, kind};

/// Whether a peer may use payload codec `c`: none 0, JSON 1, V8 2, bytes
/// 4. The in-process codec (3) never crosses a socket.
pub fn codec_allowed(c: u8) -> bool {
  // 5: an ipc postMessage carrying message-port ids (lib/ports.js CODEC_PORTS).
  matches!(c, 0 | 1 | 2 | 4 | 5)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
  m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How a hub listens.
pub struct Options {
  /// The socket's path (created; must not exist).
  pub path: PathBuf,
  /// The secret every connection must present.
  pub token: String,
  /// The largest frame accepted after the handshake.
  pub max_frame: usize,
}

struct Shared {
  hub: Arc<Hub>,
  token: String,
  max_frame: usize,
  conns: Mutex<HashMap<u32, Arc<Conn>>>,
  closed: AtomicBool,
}

/// A listening socket of one hub.
pub struct Listener {
  shared: Arc<Shared>,
  path: PathBuf,
  accept: JoinHandle<()>,
}

fn log(msg: std::fmt::Arguments<'_>) {
  crate::log::line(msg);
}

/// Binds `opts.path` (mode 0600) and starts accepting renderers for `hub`.
///
/// # Errors
/// The bind error (`EADDRINUSE`, `EACCES`, a path too long, ...).
pub fn listen(hub: Arc<Hub>, opts: Options) -> io::Result<Listener> {
  let _rt = runtime().enter();
  let std_listener = std::os::unix::net::UnixListener::bind(&opts.path)?;
  {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&opts.path, std::fs::Permissions::from_mode(0o600))?;
  }
  std_listener.set_nonblocking(true)?;
  let listener = tokio::net::UnixListener::from_std(std_listener)?;
  let shared = Arc::new(Shared {
    hub,
    token: opts.token,
    max_frame: opts.max_frame,
    conns: Mutex::default(),
    closed: AtomicBool::new(false),
  });
  let s = shared.clone();
  let accept = runtime().spawn(async move {
    loop {
      match listener.accept().await {
        Ok((stream, _)) => {
          runtime().spawn(serve(stream, s.clone()));
        }
        Err(e) => {
          // Out of fds and the like: wait a little rather than spin.
          log(format_args!("accepting a connection failed: {e}"));
          tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
      }
    }
  });
  Ok(Listener {
    shared,
    path: opts.path,
    accept,
  })
}

impl Listener {
  /// The socket's path.
  pub fn path(&self) -> &Path {
    &self.path
  }

  /// Connections currently attached.
  pub fn connections(&self) -> usize {
    lock(&self.shared.conns).len()
  }

  /// Stops accepting and removes the socket file. Connections stay up until
  /// [`finish`](Self::finish).
  pub fn stop(&self) {
    if self.shared.closed.swap(true, Ordering::AcqRel) {
      return;
    }
    self.accept.abort();
    let _ = std::fs::remove_file(&self.path);
  }

  /// Stops listening and closes every connection while the hub goes on
  /// (`ipcMain.close()` is about the socket): each renderer is detached,
  /// told with a `CLOSED` frame after what was queued for it, and its
  /// connection closed once that is written. Its reader then reports the
  /// `DISCONNECT` to main as for any connection that ends.
  pub fn close(&self) {
    self.stop();
    let conns: Vec<_> = lock(&self.shared.conns).drain().collect();
    for (id, c) in conns {
      self.shared.hub.detach(id);
      let _ = c.out.push(closed_frame(id));
      c.finish();
    }
  }

  /// Closes every connection once what is queued for it (the hub's `CLOSED`
  /// frame, after `Hub::close`) is written.
  pub fn finish(&self) {
    self.stop();
    let conns: Vec<_> = lock(&self.shared.conns).drain().map(|(_, c)| c).collect();
    for c in conns {
      c.finish();
    }
  }

  /// Writes what is queued for every connection, blocking up to `timeout`
  /// in all (process exit).
  pub fn flush_blocking(&self, timeout: std::time::Duration) {
    let until = std::time::Instant::now() + timeout;
    let conns: Vec<_> = lock(&self.shared.conns).values().cloned().collect();
    for c in conns {
      c.flush_blocking(until.saturating_duration_since(std::time::Instant::now()));
    }
  }
}

impl Drop for Listener {
  fn drop(&mut self) {
    self.finish();
  }
}

/// The frame that tells renderer `id` its main closed the connection.
fn closed_frame(id: u32) -> Vec<u8> {
  wire::encode(kind::CLOSED, 0, id, 0, b"", b"")
}

/// What a client says in its first frame.
#[derive(Debug)]
pub struct Hello {
  /// The pid it claims (the socket's peer credentials win).
  pub pid: Option<u64>,
  /// Its entry script's URL.
  pub url: String,
  /// The one-time nonce pairing it with a `fork()`, or null.
  pub nonce: Value,
  /// The largest frame the client reads, if it says (at least 1 KiB).
  pub max_frame: Option<usize>,
}

/// Checks a client's first frame (kind, codec, payload) against `token`.
/// Public for the fuzz target; no input may panic it.
///
/// # Errors
/// `(auth, why)`: `auth` when the token was wrong (`IPC_AUTH_FAILED`),
/// else the handshake was malformed (`IPC_PROTOCOL`).
pub fn check_hello(
  kind: u8,
  codec: u8,
  payload: &[u8],
  token: &str,
) -> Result<Hello, (bool, String)> {
  if kind != kind::CONNECT || codec != 1 {
    return Err((false, "the first frame is not a handshake".into()));
  }
  let v: Value =
    serde_json::from_slice(payload).map_err(|_| (false, "the handshake is not JSON".to_owned()))?;
  if v.get("v").and_then(Value::as_u64) != Some(PROTOCOL) {
    return Err((
      false,
      format!("unsupported protocol version (this main speaks {PROTOCOL})"),
    ));
  }
  let given = v.get("token").and_then(Value::as_str).unwrap_or("");
  if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
    return Err((true, "wrong or missing token".into()));
  }
  Ok(Hello {
    pid: v.get("pid").and_then(Value::as_u64),
    url: v
      .get("url")
      .and_then(Value::as_str)
      .unwrap_or("")
      .to_owned(),
    nonce: match v.get("nonce") {
      Some(n @ Value::String(_)) => n.clone(),
      _ => Value::Null,
    },
    max_frame: v
      .get("maxFrame")
      .and_then(Value::as_u64)
      .map(|n| n.max(1024).min(u32::MAX as u64) as usize),
  })
}

/// Leaves a connection's socket however its task ends: a return, or a
/// panic anywhere in it. Dropped last, it detaches an attached renderer
/// (main hears DISCONNECT after everything it sent) and shuts the socket
/// down, so neither the descriptor nor the renderer outlives the task.
struct Teardown {
  shared: Arc<Shared>,
  conn: Arc<Conn>,
  /// The renderer id once attached.
  attached: Option<u32>,
  /// The renderer said goodbye (DISCONNECT), rather than just going.
  explicit: bool,
  /// Write what is queued (a refusal's answer) before shutting down.
  finish: bool,
}

impl Drop for Teardown {
  fn drop(&mut self) {
    if let Some(id) = self.attached.take() {
      lock(&self.shared.conns).remove(&id);
      let hub = &self.shared.hub;
      hub.detach(id);
      // Always told (even if main detached it first), after everything the
      // renderer sent: main waits for it to know nothing more will come.
      let _ = hub.push(wire::encode(
        kind::DISCONNECT,
        0,
        id,
        self.explicit as u32,
        b"",
        b"",
      ));
    }
    if self.finish {
      self.conn.finish();
    } else {
      self.conn.shutdown();
    }
  }
}

/// Answers a refused handshake with a `CLOSED` frame naming the error; the
/// guard then writes it and closes.
fn refuse(guard: &mut Teardown, who: &str, auth: bool, why: &str) {
  guard.finish = true;
  let code = if auth {
    "IPC_AUTH_FAILED"
  } else {
    "IPC_PROTOCOL"
  };
  let body = json!({ "error": code, "message": why }).to_string();
  let _ = guard
    .conn
    .out
    .push(wire::encode(kind::CLOSED, 1, 0, 0, b"", body.as_bytes()));
  // Last: whatever logging does, the answer is queued.
  log(format_args!("refused a connection{who}: {why}"));
}

async fn serve(stream: UnixStream, shared: Arc<Shared>) {
  let peer_pid = stream
    .peer_cred()
    .ok()
    .and_then(|c| c.pid())
    .map(|p| p as u64);
  let conn = Conn::start(stream);
  let mut guard = Teardown {
    shared: shared.clone(),
    conn: conn.clone(),
    attached: None,
    explicit: false,
    finish: false,
  };
  let who = peer_pid.map_or(String::new(), |p| format!(" from pid {p}"));
  let mut reader = FrameReader::new(HANDSHAKE_LIMIT);

  // The handshake: one frame, within the time limit, under a small size
  // limit, before anything else is looked at.
  let mut first: Option<(u8, u8, Vec<u8>)> = None;
  let read = tokio::time::timeout(
    HANDSHAKE_TIMEOUT,
    read_frames(
      &conn,
      &mut reader,
      |raw| {
        let f = view(&raw)?;
        first = Some((f.kind, f.codec, f.payload.to_vec()));
        Ok(Next::Stop)
      },
      || {},
    ),
  )
  .await;
  let (k, codec, payload) = match (read, first) {
    (_, Some(f)) => f,
    (Err(_), None) => return refuse(&mut guard, &who, false, "no handshake in time"),
    (Ok(ReadEnd::Bad(e)), None) => {
      return refuse(&mut guard, &who, false, &format!("bad handshake: {e}"))
    }
    (Ok(ReadEnd::Truncated), None) => {
      return log(format_args!(
        "refused a connection{who}: it ended in the middle of its handshake"
      ));
    }
    (Ok(_), None) => {
      return log(format_args!(
        "refused a connection{who}: it closed before its handshake"
      ));
    }
  };
  let hello = match check_hello(k, codec, &payload, &shared.token) {
    Ok(h) => h,
    Err((auth, why)) => return refuse(&mut guard, &who, auth, &why),
  };
  if shared.closed.load(Ordering::Acquire) {
    return;
  }
  let hub = &shared.hub;
  let id = match hub.attach(conn.out.clone()) {
    Ok(id) => id,
    Err(_) => return refuse(&mut guard, &who, false, "main is closing"),
  };
  // The answer is queued first and written only after main has heard of
  // this renderer: whatever main sends it comes after the answer, and a main
  // closing meanwhile still gets its CLOSED frame to the client.
  let reply =
    json!({ "v": PROTOCOL, "id": id, "pid": std::process::id(), "maxFrame": shared.max_frame });
  let _ = conn.out.push_quiet(wire::encode(
    kind::CONNECT,
    1,
    id,
    0,
    b"",
    reply.to_string().as_bytes(),
  ));
  {
    // Under the table's lock, so that a `Listener::close` either sees this
    // connection or this sees it closed.
    let mut conns = lock(&shared.conns);
    if shared.closed.load(Ordering::Acquire) {
      drop(conns);
      hub.detach(id);
      let _ = conn.out.push(closed_frame(id));
      guard.finish = true;
      return;
    }
    conns.insert(id, conn.clone());
    guard.attached = Some(id);
  }
  // What main may send it: the client reads with main's limit, or with a
  // smaller one it named. Main's JS checks it when it builds a frame, so an
  // oversized send fails at its caller instead of ending this connection.
  let max_frame = hello
    .max_frame
    .map_or(shared.max_frame, |m| m.min(shared.max_frame));
  let meta = json!({
    "kind": "process",
    "pid": peer_pid.or(hello.pid).unwrap_or(0),
    "url": hello.url,
    "nonce": hello.nonce,
    "maxFrame": max_frame,
  });
  let announced = hub.push(wire::encode(
    kind::CONNECT,
    1,
    id,
    0,
    b"",
    meta.to_string().as_bytes(),
  ));
  if announced.is_err() {
    // Main closed in between (and queued CLOSED for this link): the guard
    // writes what is queued, then closes.
    guard.finish = true;
    return;
  }
  let _ = conn.out.flush();

  reader.set_limit(shared.max_frame);
  let mut explicit = false;
  let end = read_frames(
    &conn,
    &mut reader,
    |mut raw| {
      let f = view(&raw)?;
      match f.kind {
        kind::SEND
        | kind::SEND_SYNC
        | kind::INVOKE
        | kind::CANCEL
        | kind::INVOKE_REPLY_OK
        | kind::INVOKE_REPLY_ERR
        | kind::PORT_MESSAGE
        | kind::PORT_CLOSE => {}
        kind::DISCONNECT => {
          explicit = true;
          return Ok(Next::Stop);
        }
        _ => {
          return Err(IpcError::BadFrame(
            "a frame of a kind a renderer may not send",
          ))
        }
      }
      if !codec_allowed(f.codec) {
        return Err(IpcError::BadFrame("unknown payload codec"));
      }
      // The connection says who sent it, not the frame.
      wire::set_renderer(&mut raw, id);
      hub.push_quiet(raw)?;
      Ok(Next::Go)
    },
    || {
      let _ = hub.inbox.flush();
    },
  )
  .await;
  guard.explicit = explicit;
  // The guard detaches and closes whatever the log line below does.
  match &end {
    ReadEnd::Bad(e) => log(format_args!(
      "closed the connection of renderer #{id}{who}: {e}"
    )),
    ReadEnd::Truncated => log(format_args!(
      "the connection of renderer #{id}{who} ended in the middle of a frame"
    )),
    ReadEnd::Io(e) if e.kind() != io::ErrorKind::ConnectionReset => log(format_args!(
      "lost the connection of renderer #{id}{who}: {e}"
    )),
    _ => {}
  }
}
