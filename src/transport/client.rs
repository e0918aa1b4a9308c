//! The renderer end of a socket: a blocking handshake, then a reader task
//! that routes main's frames to the renderer's inbox (or to the `sendSync`
//! blocked on this connection) until main goes away.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};

use super::{runtime, HANDSHAKE_LIMIT, PROTOCOL};
use crate::connection::{read_frames, view, Conn, FrameReader, Next, ReadEnd};
use crate::error::{IpcError, Result};
use crate::hub::SyncSlot;
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
  /// Blocked `sendSync` calls by request id; `None` once disconnected.
  syncs: Mutex<Option<HashMap<u32, Arc<SyncSlot>>>>,
}

impl Client {
  /// Starts reading: main's frames go to `inbox` (rung per read), answers
  /// to `sendSync` to their waiter. When main goes away a `CLOSED` frame is
  /// queued once.
  ///
  /// # Errors
  /// If the socket cannot be handed to the IO runtime.
  pub fn start(c: Connected, inbox: Arc<Inbox>) -> io::Result<Arc<Client>> {
    let _rt = runtime().enter();
    c.stream.set_read_timeout(None)?;
    c.stream.set_write_timeout(None)?;
    c.stream.set_nonblocking(true)?;
    let stream = tokio::net::UnixStream::from_std(c.stream)?;
    let client = Arc::new(Client {
      conn: Conn::start(stream),
      id: c.id,
      syncs: Mutex::new(Some(HashMap::new())),
    });
    let mut reader = FrameReader::new(c.max_frame.max(HANDSHAKE_LIMIT));
    reader.extend(&c.leftover);
    runtime().spawn(read_loop(client.clone(), reader, inbox));
    Ok(client)
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

  /// Sends a `sendSync` frame and blocks for main's answer.
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] if main goes away first.
  pub fn send_sync(&self, request: u32, frame: Vec<u8>, spin: Duration) -> Result<Vec<u8>> {
    let slot = Arc::new(SyncSlot::default());
    match lock(&self.syncs).as_mut() {
      Some(map) => map.insert(request, slot.clone()),
      None => return Err(IpcError::Disconnected),
    };
    if self.conn.out.push(frame).is_err() {
      if let Some(map) = lock(&self.syncs).as_mut() {
        map.remove(&request);
      }
      return Err(IpcError::Disconnected);
    }
    slot.wait(spin)
  }

  fn fail_syncs(&self) {
    let slots = lock(&self.syncs).take();
    for slot in slots.into_iter().flat_map(HashMap::into_values) {
      slot.fill(Err(IpcError::Disconnected));
    }
  }

  /// Says goodbye (main emits `'destroyed'` for this renderer) and closes
  /// once queued frames are written.
  pub fn close(&self) {
    let _ = self
      .conn
      .out
      .push(wire::encode(kind::DISCONNECT, 0, self.id, 1, b"", b""));
    self.fail_syncs();
    self.conn.finish();
  }

  /// Closes once queued frames are written, without a goodbye (main learns
  /// of it from the end of the stream).
  pub fn drop_connection(&self) {
    self.fail_syncs();
    self.conn.finish();
  }

  /// Writes what is queued, blocking up to `timeout` (process exit).
  pub fn flush_blocking(&self, timeout: Duration) -> bool {
    self.conn.flush_blocking(timeout)
  }
}

/// Ends a renderer's connection however its reader task ends (a return, or
/// a panic anywhere in it): blocked `sendSync`s wake, the renderer hears
/// `CLOSED` once, and the socket is shut down.
struct Teardown {
  client: Arc<Client>,
  inbox: Arc<Inbox>,
  /// Main's own `CLOSED` frame was passed on already.
  told: std::sync::atomic::AtomicBool,
}

impl Drop for Teardown {
  fn drop(&mut self) {
    self.client.fail_syncs();
    if !self.told.load(std::sync::atomic::Ordering::Relaxed) {
      let _ = self
        .inbox
        .push(wire::encode(kind::CLOSED, 0, self.client.id, 0, b"", b""));
    }
    self.client.conn.shutdown();
  }
}

async fn read_loop(client: Arc<Client>, mut reader: FrameReader, inbox: Arc<Inbox>) {
  let guard = Teardown {
    client: client.clone(),
    inbox: inbox.clone(),
    told: std::sync::atomic::AtomicBool::new(false),
  };
  let end = read_frames(
    &client.conn,
    &mut reader,
    |raw| {
      let f = view(&raw)?;
      if !super::server::codec_allowed(f.codec) {
        return Err(IpcError::BadFrame("unknown payload codec"));
      }
      match f.kind {
        kind::SYNC_REPLY => {
          let mut v = Vec::with_capacity(1 + f.payload.len());
          v.push(f.codec);
          v.extend_from_slice(f.payload);
          let slot = lock(&client.syncs)
            .as_mut()
            .and_then(|m| m.remove(&f.request));
          if let Some(slot) = slot {
            slot.fill(Ok(v));
          }
          Ok(Next::Go)
        }
        kind::MESSAGE
        | kind::RESULT_OK
        | kind::RESULT_ERR
        | kind::INVOKE_RENDERER
        | kind::CANCEL_RENDERER
        | kind::PORT_MESSAGE
        | kind::PORT_CLOSE => {
          // A closed inbox: this renderer was closed here; drop the rest.
          let _ = inbox.push_quiet(raw);
          Ok(Next::Go)
        }
        kind::CLOSED => {
          guard.told.store(true, std::sync::atomic::Ordering::Relaxed);
          let _ = inbox.push_quiet(raw);
          Ok(Next::Stop)
        }
        _ => Err(IpcError::BadFrame("a frame of a kind main may not send")),
      }
    },
    || {
      let _ = inbox.flush();
    },
  )
  .await;
  if let ReadEnd::Bad(e) = &end {
    crate::log::line(format_args!("closed the connection to main: {e}"));
  }
  drop(guard);
}
