//! The renderer end of a socket: a blocking handshake, then a reader that
//! routes main's frames to the renderer's inbox until main goes away. The
//! reader is the renderer's own JS thread (the binding polls the socket from
//! its libuv loop and calls [`Client::on_readable`]) or, without one, a task
//! on the IO runtime ([`Client::start`]). A `sendSync` reads the socket
//! itself, blocking, until its answer comes: every other frame that arrives
//! meanwhile goes to the inbox in order, ahead of later ones.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};

use super::{runtime, HANDSHAKE_LIMIT, PROTOCOL};
use crate::connection::{
  poll_reads, view, Conn, Flow, FrameReader, Next, Raw, ReadEnd, Step, READ_BUDGET,
};
use crate::error::{IpcError, Result};
use crate::queue::Inbox;
use crate::wire::{self, kind};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
  m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A connection that passed the handshake, not yet running.
pub struct Connected {
  stream: std::os::unix::net::UnixStream,
  /// The renderer id main assigned.
  pub id: u32,
  /// Main's pid.
  pub main_pid: u32,
  /// The largest frame main accepts.
  pub max_frame: usize,
  leftover: Vec<u8>,
}

/// Connects to `path` and authenticates with `token`, blocking this thread
/// up to `timeout`. `meta` (an object: `pid`, `url`, `nonce`) is sent along.
///
/// # Errors
/// [`IpcError::Io`] if the socket cannot be reached or does not answer
/// in time, [`IpcError::AuthFailed`] for a refused token,
/// [`IpcError::Protocol`] for anything else the server says or does.
pub fn handshake(
  path: &Path,
  token: &str,
  meta: Value,
  timeout: Duration,
) -> Result<Connected, IpcError> {
  let mut s = std::os::unix::net::UnixStream::connect(path).map_err(|e| IpcError::io(&e))?;
  s.set_read_timeout(Some(timeout))
    .map_err(|e| IpcError::io(&e))?;
  s.set_write_timeout(Some(timeout))
    .map_err(|e| IpcError::io(&e))?;
  let mut hello = match meta {
    Value::Object(m) => m,
    _ => serde_json::Map::new(),
  };
  hello.insert("v".into(), json!(PROTOCOL));
  hello.insert("token".into(), json!(token));
  let body = Value::Object(hello).to_string();
  s.write_all(&wire::encode(kind::CONNECT, 1, 0, 0, b"", body.as_bytes()))
    .map_err(|e| IpcError::io(&e))?;
  let mut reader = FrameReader::new(HANDSHAKE_LIMIT);
  let mut chunk = [0u8; 4096];
  loop {
    let answer = match reader.next_frame() {
      Ok(Some((f, _))) => Some((
        f.kind,
        serde_json::from_slice::<Value>(f.payload).unwrap_or(Value::Null),
      )),
      Ok(None) => None,
      Err(e) => return Err(IpcError::Protocol(format!("bad answer from main: {e}"))),
    };
    match answer {
      Some((kind::CONNECT, v)) => {
        let id = v.get("id").and_then(Value::as_u64).unwrap_or(0) as u32;
        if id == 0 {
          return Err(IpcError::Protocol(
            "main's answer has no renderer id".into(),
          ));
        }
        return Ok(Connected {
          id,
          main_pid: v.get("pid").and_then(Value::as_u64).unwrap_or(0) as u32,
          max_frame: v
            .get("maxFrame")
            .and_then(Value::as_u64)
            .map_or(wire::DEFAULT_MAX_FRAME, |n| n as usize),
          leftover: reader.buffered().to_vec(),
          stream: s,
        });
      }
      Some((kind::CLOSED, v)) => {
        return Err(match v.get("error").and_then(Value::as_str) {
          Some("IPC_AUTH_FAILED") => IpcError::AuthFailed,
          _ => IpcError::Protocol(
            v.get("message")
              .and_then(Value::as_str)
              .unwrap_or("main refused the connection")
              .to_owned(),
          ),
        });
      }
      Some((k, _)) => {
        return Err(IpcError::Protocol(format!(
          "unexpected frame kind {k} in the handshake"
        )))
      }
      None => {}
    }
    let n = match s.read(&mut chunk) {
      Ok(0) => {
        return Err(IpcError::Protocol(
          "main closed the connection during the handshake".into(),
        ))
      }
      Ok(n) => n,
      Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
      Err(e) => return Err(IpcError::io(&e)),
    };
    reader.extend(&chunk[..n]);
  }
}

/// A running renderer connection.
pub struct Client {
  conn: Arc<Conn>,
  id: u32,
  inbox: Arc<Inbox>,
  rx: Mutex<Rx>,
}

/// The reading side, taken by whoever reads (the poll or a `sendSync`).
struct Rx {
  reader: FrameReader,
  /// The `sendSync` request blocked on this connection, and its answer.
  waiting: Option<u32>,
  reply: Option<Vec<u8>>,
  /// Main said CLOSED (queued to the inbox).
  told: bool,
  ended: bool,
}

/// How long a blocked `sendSync` waits on the socket between looks at its
/// answer slot (another reader, on the IO runtime, may have taken it).
const SYNC_POLL: Duration = Duration::from_millis(20);

impl Client {
  /// Starts a connection whose frames the caller reads, calling
  /// [`on_readable`](Self::on_readable) whenever its [`fd`](Self::fd) is
  /// readable: main's frames go to `inbox` (rung once per read). When main
  /// goes away a `CLOSED` frame is queued once.
  ///
  /// # Errors
  /// If the socket cannot be made non-blocking.
  pub fn open(c: Connected, inbox: Arc<Inbox>) -> io::Result<Arc<Client>> {
    c.stream.set_read_timeout(None)?;
    c.stream.set_write_timeout(None)?;
    let mut reader = FrameReader::new(c.max_frame.max(HANDSHAKE_LIMIT));
    reader.extend(&c.leftover);
    let conn = {
      let _rt = runtime().enter();
      Conn::start(c.stream)?
    };
    Ok(Arc::new(Client {
      conn,
      id: c.id,
      inbox,
      rx: Mutex::new(Rx {
        reader,
        waiting: None,
        reply: None,
        told: false,
        ended: false,
      }),
    }))
  }

  /// As [`open`](Self::open), read by a task on the IO runtime.
  ///
  /// # Errors
  /// If the socket cannot be made non-blocking.
  pub fn start(c: Connected, inbox: Arc<Inbox>) -> io::Result<Arc<Client>> {
    let client = Client::open(c, inbox)?;
    client.read_on_runtime();
    Ok(client)
  }

  /// Reads it on the IO runtime from now on.
  pub fn read_on_runtime(self: &Arc<Self>) {
    /// Ends the reading however the task ends (a panic included).
    struct Guard(Arc<Client>);
    impl Drop for Guard {
      fn drop(&mut self) {
        self.0.abort_reading();
      }
    }
    let reading = self.clone();
    runtime().spawn(async move {
      let guard = Guard(reading.clone());
      let conn = reading.conn.clone();
      poll_reads(&conn, || {
        let flow = reading.on_readable();
        reading.ring();
        flow
      })
      .await;
      drop(guard);
    });
  }

  /// The socket's descriptor, to poll.
  pub fn fd(&self) -> std::os::fd::RawFd {
    self.conn.fd()
  }

  /// Frames wait in the renderer's inbox (to deliver after a read).
  pub fn has_queued(&self) -> bool {
    self.inbox.depth().frames > 0
  }

  /// Rings the renderer's doorbell for what reads queued.
  pub fn ring(&self) {
    let _ = self.inbox.flush();
  }

  /// Reads what the socket has into the inbox, quietly: the caller
  /// delivers ([`ring`](Self::ring), or calls the consumer itself).
  pub fn on_readable(&self) -> Flow {
    let mut rx = lock(&self.rx);
    if rx.ended {
      return Flow::Done;
    }
    match self.read(&mut rx) {
      Step::Idle => Flow::Wait,
      Step::More => Flow::Again,
      Step::End(_) => Flow::Done,
    }
  }

  /// One non-blocking read: frames to the inbox, quietly (a `sendSync`
  /// answer to its slot), and the end handled.
  fn read(&self, rx: &mut Rx) -> Step {
    let Rx {
      reader,
      waiting,
      reply,
      told,
      ..
    } = rx;
    let inbox = &self.inbox;
    // Frames of one wake-up go to the inbox as one entry (a large one alone).
    let mut batch: Vec<u8> = Vec::new();
    let step = self.conn.read_some(reader, READ_BUDGET, |raw| {
      let f = view(raw.bytes())?;
      if !super::server::codec_allowed(f.codec) {
        return Err(IpcError::BadFrame("unknown payload codec"));
      }
      match f.kind {
        kind::SYNC_REPLY => {
          if *waiting == Some(f.request) {
            let mut v = Vec::with_capacity(1 + f.payload.len());
            v.push(f.codec);
            v.extend_from_slice(f.payload);
            *reply = Some(v);
            *waiting = None;
          }
          Ok(Next::Go)
        }
        kind::MESSAGE
        | kind::RESULT_OK
        | kind::RESULT_ERR
        | kind::INVOKE_RENDERER
        | kind::CANCEL_RENDERER
        | kind::PORT_MESSAGE
        | kind::PORT_CLOSE
        | kind::CLOSED => {
          let stop = f.kind == kind::CLOSED;
          // A closed inbox: this renderer was closed here; drop the rest.
          match raw {
            Raw::Slice(bytes) => batch.extend_from_slice(bytes),
            Raw::Owned(own) => {
              if !batch.is_empty() {
                let _ = inbox.push_quiet(std::mem::take(&mut batch));
              }
              let _ = inbox.push_quiet(own);
            }
          }
          if stop {
            *told = true;
            return Ok(Next::Stop);
          }
          Ok(Next::Go)
        }
        _ => Err(IpcError::BadFrame("a frame of a kind main may not send")),
      }
    });
    if !batch.is_empty() {
      let _ = inbox.push_quiet(batch);
    }
    if let Step::End(end) = &step {
      self.end(rx);
      if let ReadEnd::Bad(e) = end {
        super::server::log(format_args!("closed the connection to main: {e}"));
      }
    }
    step
  }

  /// The reading is over: the renderer hears `CLOSED` once, the socket is
  /// shut down.
  fn end(&self, rx: &mut Rx) {
    if std::mem::replace(&mut rx.ended, true) {
      return;
    }
    rx.waiting = None;
    if !rx.told {
      let _ = self
        .inbox
        .push(wire::encode(kind::CLOSED, 0, self.id, 0, b"", b""));
    }
    self.conn.shutdown();
  }

  /// Ends the reading if it has not ended (its reader went away, or
  /// panicked): as if main had gone.
  pub fn abort_reading(&self) {
    let mut rx = lock(&self.rx);
    self.end(&mut rx);
  }

  /// Queues a frame for main without writing it yet (see [`flush`](Self::flush)).
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] once the connection is closed.
  pub fn push_quiet(&self, frame: Vec<u8>) -> Result<()> {
    self.conn.out.push_quiet(frame)
  }

  /// Writes queued frames (on this thread, as far as the socket takes them).
  pub fn flush(&self) {
    let _ = self.conn.out.flush();
  }

  /// Sends a `sendSync` frame and blocks for main's answer, reading the
  /// socket on this thread: frames that come first go to the inbox, in
  /// order. `_spin` is unused (kept for the hub route's signature).
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] if main goes away first.
  pub fn send_sync(&self, request: u32, frame: Vec<u8>, _spin: Duration) -> Result<Vec<u8>> {
    {
      let mut rx = lock(&self.rx);
      if rx.ended {
        return Err(IpcError::Disconnected);
      }
      rx.waiting = Some(request);
      rx.reply = None;
    }
    if self.conn.out.push(frame).is_err() {
      lock(&self.rx).waiting = None;
      return Err(IpcError::Disconnected);
    }
    loop {
      {
        let mut rx = lock(&self.rx);
        if rx.reply.is_none() && !rx.ended {
          self.read(&mut rx);
        }
        // What came before (and with) the answer is delivered after this
        // call returns.
        if let Some(v) = rx.reply.take() {
          self.ring();
          return Ok(v);
        }
        if rx.ended {
          self.ring();
          return Err(IpcError::Disconnected);
        }
      }
      self.conn.wait_readable(SYNC_POLL);
    }
  }

  /// Says goodbye (main emits `'destroyed'` for this renderer) and closes
  /// once queued frames are written.
  pub fn close(&self) {
    let _ = self
      .conn
      .out
      .push(wire::encode(kind::DISCONNECT, 0, self.id, 1, b"", b""));
    self.conn.finish();
  }

  /// Closes once queued frames are written, without a goodbye (main learns
  /// of it from the end of the stream).
  pub fn drop_connection(&self) {
    self.conn.finish();
  }

  /// Writes what is queued, blocking up to `timeout` (process exit).
  pub fn flush_blocking(&self, timeout: Duration) -> bool {
    self.conn.flush_blocking(timeout)
  }
}
