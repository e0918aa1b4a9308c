//! A hub's listening socket: accepts connections, checks each one's token
//! and attaches it to the hub as a renderer, on the IO runtime. Its frames
//! are then read into the hub's inbox by a [`Reading`]: handed over to the
//! hub's own JS thread (see [`Listener::take_adopted`]), which polls the
//! socket from its libuv loop, or driven on the IO runtime ([`Options::adopt`]
//! off). Reading pauses while the hub's inbox holds more than
//! [`Options::max_queue`] bytes, so the kernel pushes back on the sender. A
//! connection that misbehaves (bad handshake, malformed, oversized or
//! unexpected frame) is closed alone, with a line on stderr; the hub and
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
use crate::connection::{
  poll_reads, view, Conn, Flow, FrameReader, Next, Raw, ReadEnd, Step, READ_BUDGET,
};
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
  /// Connections are not read while the hub's inbox holds more bytes.
  pub max_queue: usize,
  /// Hand attached connections to [`Listener::take_adopted`] (the hub's JS
  /// thread reads them) instead of reading them on the IO runtime.
  pub adopt: bool,
}

/// The default of [`Options::max_queue`]: 64 MiB.
pub const DEFAULT_MAX_QUEUE: usize = 64 * 1024 * 1024;

struct Shared {
  hub: Arc<Hub>,
  token: String,
  max_frame: usize,
  max_queue: usize,
  adopt: bool,
  conns: Mutex<HashMap<u32, Arc<Conn>>>,
  /// Attached connections waiting for their reader (adopt mode).
  pending: Mutex<Vec<Reading>>,
  closed: AtomicBool,
}

impl Shared {
  /// Bytes the hub's inbox may still take before reading pauses.
  fn room(&self) -> usize {
    self.max_queue.saturating_sub(self.hub.inbox.depth().bytes)
  }
}

/// A listening socket of one hub.
pub struct Listener {
  shared: Arc<Shared>,
  path: PathBuf,
  accept: JoinHandle<()>,
}

pub(crate) fn log(msg: std::fmt::Arguments<'_>) {
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
    max_queue: opts.max_queue.max(1),
    adopt: opts.adopt,
    conns: Mutex::default(),
    pending: Mutex::default(),
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

  /// Attached connections not yet read, oldest first: the hub's JS thread
  /// takes them (before it drains the inbox that announces them) and polls
  /// each from its loop. Empty unless [`Options::adopt`].
  pub fn take_adopted(&self) -> Vec<Reading> {
    std::mem::take(&mut *lock(&self.shared.pending))
  }

  /// Whether connections wait in [`take_adopted`](Self::take_adopted)
  /// (cheap: one lock, no allocation).
  pub fn has_adopted(&self) -> bool {
    !lock(&self.shared.pending).is_empty()
  }

  /// Stops listening and closes every connection while the hub goes on
  /// (`ipcMain.close()` is about the socket): each renderer is detached,
  /// told with a `CLOSED` frame after what was queued for it, and its
  /// connection closed once that is written. Its reader then reports the
  /// `DISCONNECT` to main as for any connection that ends (one not adopted
  /// yet is read to its end once adopted).
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
    drop(self.take_adopted());
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
  /// A [`Reading`] took the connection over (and its teardown).
  handed: bool,
}

impl Drop for Teardown {
  fn drop(&mut self) {
    if self.handed {
      return;
    }
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

/// Why the handshake read ended without a frame.
enum NoHello {
  Bad(IpcError),
  Truncated,
  Closed,
  Io,
}

/// Reads the first frame of a new connection (under the small handshake
/// limit).
async fn read_hello(
  stream: &UnixStream,
  reader: &mut FrameReader,
) -> std::result::Result<(u8, u8, Vec<u8>), NoHello> {
  loop {
    match reader.next_frame() {
      Ok(Some((f, _))) => return Ok((f.kind, f.codec, f.payload.to_vec())),
      Ok(None) => {}
      Err(e) => return Err(NoHello::Bad(e)),
    }
    if stream.readable().await.is_err() {
      return Err(NoHello::Io);
    }
    match stream.try_read_buf(reader.spare()) {
      Ok(0) if !reader.buffered().is_empty() => return Err(NoHello::Truncated),
      Ok(0) => return Err(NoHello::Closed),
      Ok(_) => {}
      Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
      Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
      Err(_) => return Err(NoHello::Io),
    }
  }
}

async fn serve(stream: UnixStream, shared: Arc<Shared>) {
  let peer_pid = stream
    .peer_cred()
    .ok()
    .and_then(|c| c.pid())
    .map(|p| p as u64);
  let who = peer_pid.map_or(String::new(), |p| format!(" from pid {p}"));
  let mut reader = FrameReader::new(HANDSHAKE_LIMIT);

  // The handshake: one frame, within the time limit, under a small size
  // limit, before anything else is looked at.
  let read = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_hello(&stream, &mut reader)).await;
  // From here on the socket is a plain descriptor: no reactor watches it
  // until a reader (or a blocked write) asks.
  let conn = match stream.into_std().and_then(Conn::start) {
    Ok(c) => c,
    Err(e) => return log(format_args!("dropped a connection{who}: {e}")),
  };
  let mut guard = Teardown {
    shared: shared.clone(),
    conn: conn.clone(),
    attached: None,
    explicit: false,
    finish: false,
    handed: false,
  };
  let (k, codec, payload) = match read {
    Ok(Ok(f)) => f,
    Err(_) => return refuse(&mut guard, &who, false, "no handshake in time"),
    Ok(Err(NoHello::Bad(e))) => {
      return refuse(&mut guard, &who, false, &format!("bad handshake: {e}"))
    }
    Ok(Err(NoHello::Truncated)) => {
      return log(format_args!(
        "refused a connection{who}: it ended in the middle of its handshake"
      ));
    }
    Ok(Err(NoHello::Closed | NoHello::Io)) => {
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
  // What main may send it: the client reads with main's limit, or with a
  // smaller one it named. Main's JS checks it when it builds a frame, so an
  // oversized send fails at its caller instead of ending this connection.
  let max_frame = hello
    .max_frame
    .map_or(shared.max_frame, |m| m.min(shared.max_frame));
  let (id, relay) = match hub.attach_socket(conn.out.clone(), max_frame) {
    Ok(a) => a,
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
  let meta = json!({
    "kind": "process",
    "pid": peer_pid.or(hello.pid).unwrap_or(0),
    "url": hello.url,
    "nonce": hello.nonce,
    "maxFrame": max_frame,
  });
  reader.set_limit(shared.max_frame);
  let announce = wire::encode(kind::CONNECT, 1, id, 0, b"", meta.to_string().as_bytes());
  let reading = Reading {
    shared: shared.clone(),
    conn: conn.clone(),
    reader,
    id,
    relay,
    who,
    explicit: false,
    // Not armed until the hub heard of it (see below).
    ended: true,
  };
  let reading = if shared.adopt {
    // Queued for the hub's thread before the hub hears of it (under the
    // lock, so the reader it adopts never reads ahead of the CONNECT).
    let mut pending = lock(&shared.pending);
    if hub.push(announce).is_err() {
      // Main closed in between (and queued CLOSED for this link): the
      // guard writes what is queued, then closes.
      guard.finish = true;
      return;
    }
    pending.push(hand_over(reading, &mut guard));
    None
  } else if hub.push(announce).is_ok() {
    Some(hand_over(reading, &mut guard))
  } else {
    guard.finish = true;
    return;
  };
  let _ = conn.out.flush();
  if let Some(r) = reading {
    r.read_on_runtime();
  }
}

/// An ipc message from a child that carries its port ends: their ids
/// become main's (fresh ends whose twins the relay holds), in place.
fn adopt_ports(relay: &Arc<crate::ports::Relay>, frame: &mut [u8]) -> crate::error::Result<()> {
  let ch = u32::from_le_bytes([frame[16], frame[17], frame[18], frame[19]]) as usize;
  let at = wire::HEADER_LEN + ch;
  let ok = frame
    .get_mut(at..)
    .is_some_and(|p| relay.adopt_in_payload(p));
  if ok {
    Ok(())
  } else {
    Err(IpcError::BadFrame("a malformed port list"))
  }
}

/// The reading side takes over the connection and its teardown.
fn hand_over(mut reading: Reading, guard: &mut Teardown) -> Reading {
  reading.ended = false;
  guard.handed = true;
  reading
}

/// One attached connection's reading side: its frames go to the hub's
/// inbox, stamped with its renderer id. Whoever owns it calls
/// [`on_readable`](Self::on_readable) when the socket is readable. Dropped
/// unfinished (its owner torn down), it ends the connection as if the peer
/// had gone: detached, `DISCONNECT` queued, socket closed once written.
pub struct Reading {
  shared: Arc<Shared>,
  conn: Arc<Conn>,
  reader: FrameReader,
  id: u32,
  /// Routes this connection's port frames (`crate::ports::Relay`).
  relay: Arc<crate::ports::Relay>,
  who: String,
  explicit: bool,
  ended: bool,
}

impl Reading {
  /// The socket's descriptor, to poll.
  pub fn fd(&self) -> std::os::fd::RawFd {
    self.conn.fd()
  }

  /// The renderer id of this connection.
  pub fn renderer(&self) -> u32 {
    self.id
  }

  /// Whether reading may resume after a [`Flow::Pause`]: the hub's inbox is
  /// below its bound again (or the hub is closed, so the rest is refused).
  pub fn can_resume(&self) -> bool {
    self.shared.room() > 0 || self.shared.hub.is_closed()
  }

  /// Frames wait in the hub's inbox (to deliver after a read).
  pub fn has_queued(&self) -> bool {
    self.shared.hub.inbox.depth().frames > 0
  }

  /// Rings the hub's doorbell for what reads queued.
  pub fn ring(&self) {
    let _ = self.shared.hub.inbox.flush();
  }

  /// Reads what the socket has (within the hub's room) into the hub's
  /// inbox, quietly: the caller delivers ([`ring`](Self::ring), or calls
  /// the consumer itself).
  pub fn on_readable(&mut self) -> Flow {
    let room = self.shared.room();
    if room == 0 && !self.shared.hub.is_closed() && !self.ended {
      return Flow::Pause;
    }
    self.read(room.clamp(1, READ_BUDGET))
  }

  /// Reads once now, past the bound (a close delivers what was sent,
  /// including bytes still in the socket).
  pub fn read_now(&mut self) -> Flow {
    self.read(READ_BUDGET)
  }

  fn read(&mut self, budget: usize) -> Flow {
    if self.ended {
      return Flow::Done;
    }
    let hub = self.shared.hub.clone();
    let id = self.id;
    let relay = &self.relay;
    let who = &self.who;
    let explicit = &mut self.explicit;
    // Small frames of one wake-up go to the hub as one entry (one copy, one
    // lock); a large one alone, in its own buffer.
    let mut batch: Vec<u8> = Vec::new();
    let step = self.conn.read_some(&mut self.reader, budget, |raw| {
      let f = view(raw.bytes())?;
      match f.kind {
        kind::SEND
        | kind::SEND_SYNC
        | kind::INVOKE
        | kind::CANCEL
        | kind::INVOKE_REPLY_OK
        | kind::INVOKE_REPLY_ERR => {}
        kind::PORT_MESSAGE | kind::PORT_CLOSE => {
          // Routed here, on the reading thread: main's JS never sees it.
          if let Err(why) = relay.receive(f.kind, f.codec, f.request, f.channel, f.payload) {
            log(format_args!(
              "dropped a port frame from renderer #{id}{who}: {why}"
            ));
          }
          return Ok(Next::Go);
        }
        kind::DISCONNECT => {
          *explicit = true;
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
      let ports = f.codec == crate::ports::CODEC_PORTS;
      // The connection says who sent it, not the frame.
      match raw {
        Raw::Slice(bytes) => {
          let at = batch.len();
          batch.extend_from_slice(bytes);
          wire::set_renderer(&mut batch[at..], id);
          if ports {
            adopt_ports(relay, &mut batch[at..])?;
          }
        }
        Raw::Owned(mut own) => {
          if !batch.is_empty() {
            hub.push_batch_quiet(std::mem::take(&mut batch))?;
          }
          wire::set_renderer(&mut own, id);
          if ports {
            adopt_ports(relay, &mut own)?;
          }
          hub.push_quiet(own)?;
        }
      }
      Ok(Next::Go)
    });
    // What came before an error or the end is delivered first.
    let step = match (step, batch.is_empty()) {
      (step, true) => step,
      (step, false) => match hub.push_batch_quiet(batch) {
        Ok(()) => step,
        Err(e) => Step::End(ReadEnd::Bad(e)),
      },
    };
    match step {
      Step::Idle => Flow::Wait,
      Step::More if self.shared.room() == 0 && !hub.is_closed() => Flow::Pause,
      Step::More => Flow::Again,
      Step::End(end) => {
        self.end(end, false);
        Flow::Done
      }
    }
  }

  /// Reads it on the IO runtime from now on (where no loop of a JS thread
  /// can poll it).
  pub fn read_on_runtime(mut self) {
    let conn = self.conn.clone();
    runtime().spawn(async move {
      poll_reads(&conn, || {
        let flow = self.on_readable();
        self.ring();
        flow
      })
      .await
    });
  }

  /// Ends the connection now (the owner goes away): as if the peer hung up,
  /// after writing what is queued for it.
  pub fn abort(&mut self) {
    if !self.ended {
      self.end(ReadEnd::Eof, true);
    }
  }

  fn end(&mut self, end: ReadEnd, finish: bool) {
    self.ended = true;
    // The child's ends close: their peers (here, in workers, in other
    // children) get 'close'.
    self.relay.gone();
    let id = self.id;
    let hub = &self.shared.hub;
    lock(&self.shared.conns).remove(&id);
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
    if finish {
      self.conn.finish();
    } else {
      self.conn.shutdown();
    }
    // Last: whatever logging does, the connection is down.
    let who = &self.who;
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
}

impl Drop for Reading {
  fn drop(&mut self) {
    self.abort();
  }
}
