//! A renderer's way to main and the per-frame policy its binding applies:
//! the [`Route`] (a hub of this process, or a socket to a main in another
//! process), the checks on a batch of frames JavaScript wrote
//! ([`check_batch`]), the [`Burst`] rule that passes a long synchronous
//! stretch of sends on early, and the [`Holds`] of invokes in flight that
//! keep the renderer's thread alive until their results are delivered.
//!
//! Everything here is plain Rust: the binding only converts arguments and
//! calls these; `cargo test` covers the decisions. Nothing here touches
//! JavaScript.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{IpcError, Result};
use crate::hub::Hub;
use crate::wire::{self, kind};

/// How long a blocked `sendSync` spins before parking its thread, when
/// main is another thread of this process (and another CPU can run it;
/// see [`crate::hub::SyncSlot::wait`]).
pub const THREAD_SYNC_SPIN: Duration = Duration::from_micros(40);
/// The same over a socket: shorter, since an answer takes tens of
/// microseconds and the spin would take the CPU main needs to answer.
#[cfg(unix)]
pub const SOCKET_SYNC_SPIN: Duration = Duration::from_micros(10);

/// Where a renderer's frames go.
pub enum Route {
  /// A hub of this process.
  Hub(Arc<Hub>),
  /// A main in another process, over a socket.
  #[cfg(unix)]
  Socket {
    /// The connection.
    client: Arc<crate::transport::client::Client>,
    /// Main's process id.
    main_pid: u32,
    /// The largest frame main accepts.
    max_frame: usize,
  },
}

impl Route {
  /// The largest frame main accepts.
  pub fn max_frame(&self) -> usize {
    match self {
      Route::Hub(_) => u32::MAX as usize,
      #[cfg(unix)]
      Route::Socket { max_frame, .. } => *max_frame,
    }
  }

  /// Main's process id.
  pub fn main_pid(&self) -> u32 {
    match self {
      Route::Hub(_) => std::process::id(),
      #[cfg(unix)]
      Route::Socket { main_pid, .. } => *main_pid,
    }
  }

  /// Queues one frame, or several back to back (`batch`), without passing
  /// them on yet.
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] once main is gone.
  pub fn push_quiet(&self, frames: Vec<u8>, batch: bool) -> Result<()> {
    match self {
      Route::Hub(hub) if batch => hub.push_batch_quiet(frames),
      Route::Hub(hub) => hub.push_quiet(frames),
      #[cfg(unix)]
      Route::Socket { client, .. } => client.push_quiet(frames),
    }
  }

  /// Passes on what was queued: rings the hub, or writes to the socket.
  pub fn flush(&self) {
    match self {
      Route::Hub(hub) => {
        let _ = hub.inbox.flush();
      }
      #[cfg(unix)]
      Route::Socket { client, .. } => client.flush(),
    }
  }

  /// Sends `frames` (whole frames back to back, the last one the
  /// `sendSync` of `request`) and blocks for main's answer.
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] if main is or goes away first.
  pub fn send_sync(&self, renderer: u32, request: u32, frames: Vec<u8>) -> Result<Vec<u8>> {
    match self {
      Route::Hub(hub) => {
        let slot = hub.begin_sync(renderer, request)?;
        // Rings now: this thread is about to block; earlier quiet frames
        // are ahead of these in the same queue.
        if let Err(e) = hub.push_batch(frames) {
          hub.abandon_sync(renderer, request);
          return Err(e);
        }
        slot.wait(THREAD_SYNC_SPIN)
      }
      #[cfg(unix)]
      Route::Socket { client, .. } => client.send_sync(request, frames, SOCKET_SYNC_SPIN),
    }
  }

  /// Writes everything queued for a socket, blocking up to `timeout`
  /// (process exit); `true` at once for a hub of this process.
  pub fn flush_blocking(&self, timeout: Duration) -> bool {
    match self {
      Route::Hub(_) => {
        let _ = timeout;
        true
      }
      #[cfg(unix)]
      Route::Socket { client, .. } => client.flush_blocking(timeout),
    }
  }

  /// Leaves main after everything sent. `explicit` (a `close()`) says
  /// goodbye, so main emits 'destroyed' at once; otherwise (an env torn
  /// down) main learns of it from a DISCONNECT with request 0 (a hub) or
  /// the end of the stream (a socket) and waits for the exit status.
  pub fn disconnect(&self, renderer: u32, explicit: bool) {
    match self {
      Route::Hub(hub) => {
        let _ = hub.inbox.flush();
        if hub.detach(renderer).is_some() {
          let f = wire::encode(kind::DISCONNECT, 0, renderer, explicit as u32, b"", b"");
          let _ = hub.push(f);
        }
      }
      #[cfg(unix)]
      Route::Socket { client, .. } if explicit => client.close(),
      #[cfg(unix)]
      Route::Socket { client, .. } => client.drop_connection(),
    }
  }
}

/// Who wrote a batch, which decides the frame kinds it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
  /// A renderer: kinds below 16, CONNECT excepted (attaching announces),
  /// and port frames.
  Renderer,
  /// Main: kinds from 16 (what main sends to renderers).
  Main,
}

impl Writer {
  /// Whether this writer sends frames of kind `k`.
  pub fn may_send(self, k: u8) -> bool {
    match self {
      // Port frames too: a child's ports talk through its socket.
      Writer::Renderer => {
        (k < kind::MESSAGE && k != kind::CONNECT)
          || k == kind::PORT_MESSAGE
          || k == kind::PORT_CLOSE
      }
      Writer::Main => k >= kind::MESSAGE,
    }
  }
}

/// Checks a batch of frames JS wrote back to back: whole frames, each of a
/// kind `writer` sends, none over `limit`.
///
/// # Errors
/// [`IpcError::BadFrame`] or [`IpcError::FrameTooLarge`]: a bug in the
/// JS writer, since users never write frames themselves.
pub fn check_batch(mut batch: &[u8], limit: usize, writer: Writer) -> Result<()> {
  while !batch.is_empty() {
    match wire::parse(batch, limit)? {
      Some((f, n)) if writer.may_send(f.kind) => batch = &batch[n..],
      Some(_) => {
        return Err(IpcError::BadFrame(
          "a frame of a kind its writer may not send",
        ))
      }
      None => return Err(IpcError::BadFrame("a truncated frame")),
    }
  }
  Ok(())
}

/// The last frame of a checked batch: `(kind, request)`.
pub fn last_frame(batch: &[u8]) -> Option<(u8, u32)> {
  wire::frames(batch).last().map(|(k, _, r, _)| (k, r))
}

/// Splits main's batch into runs of consecutive frames for one renderer,
/// in order: each run goes to that renderer's inbox as one entry.
pub fn runs_by_renderer(batch: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
  let mut rest = batch;
  std::iter::from_fn(move || {
    let mut it = wire::frames(rest);
    let (_, renderer, _, first) = it.next()?;
    let mut len = first.len();
    for (_, r, _, f) in it {
      if r != renderer {
        break;
      }
      len += f.len();
    }
    let (run, tail) = rest.split_at(len);
    rest = tail;
    Some((renderer, run))
  })
}

/// Counts what a renderer queued quietly since its last flush, so a long
/// synchronous burst of sends is handed over in pieces while it is still
/// being produced (the receiver works in parallel) instead of all at once
/// when the burst ends.
#[derive(Default)]
pub struct Burst {
  frames: std::cell::Cell<u32>,
  bytes: std::cell::Cell<usize>,
}

impl Burst {
  /// Frames after which a burst is flushed early.
  pub const FRAMES: u32 = 256;
  /// Bytes after which a burst is flushed early.
  pub const BYTES: usize = 256 * 1024;

  /// Records one queued frame of `len` bytes; `true` when it is time to
  /// flush (and the count starts again).
  pub fn add(&self, len: usize) -> bool {
    let frames = self.frames.get() + 1;
    let bytes = self.bytes.get() + len;
    if frames >= Self::FRAMES || bytes >= Self::BYTES {
      self.reset();
      return true;
    }
    self.frames.set(frames);
    self.bytes.set(bytes);
    false
  }

  /// A flush happened.
  pub fn reset(&self) {
    self.frames.set(0);
    self.bytes.set(0);
  }
}

/// The invokes a renderer has in flight, by request id: while there is one,
/// its thread stays alive (as a pending `MessagePort` reply would keep it).
///
/// Read from the frames themselves, so JavaScript needs no call per invoke:
/// an INVOKE sent starts a hold, and the hold ends when its RESULT is
/// delivered, when the renderer gives the call up (a CANCEL sent) or when
/// main goes away (CLOSED delivered, or [`clear`](Self::clear)).
#[derive(Default)]
pub struct Holds {
  pending: HashSet<u32>,
}

impl Holds {
  /// Whether an invoke is in flight.
  pub fn any(&self) -> bool {
    !self.pending.is_empty()
  }

  /// Frames the renderer sent (one, or a batch back to back).
  ///
  /// # Returns
  /// Whether [`any`](Self::any) changed.
  pub fn sent(&mut self, frames: &[u8]) -> bool {
    let before = self.any();
    for (k, _, request, _) in wire::frames(frames) {
      self.note(k, request);
    }
    before != self.any()
  }

  /// One frame of kind `k` for `request` the renderer sent.
  ///
  /// # Returns
  /// Whether [`any`](Self::any) changed.
  pub fn sent_one(&mut self, k: u8, request: u32) -> bool {
    let before = self.any();
    self.note(k, request);
    before != self.any()
  }

  fn note(&mut self, k: u8, request: u32) {
    match k {
      kind::INVOKE => {
        self.pending.insert(request);
      }
      kind::CANCEL => {
        self.pending.remove(&request);
      }
      _ => {}
    }
  }

  /// Frames delivered to the renderer's JavaScript.
  ///
  /// # Returns
  /// Whether [`any`](Self::any) changed.
  pub fn delivered(&mut self, frames: &[u8]) -> bool {
    if !self.any() {
      return false;
    }
    for (k, _, request, _) in wire::frames(frames) {
      match k {
        kind::RESULT_OK | kind::RESULT_ERR => {
          self.pending.remove(&request);
        }
        kind::CLOSED => self.pending.clear(),
        _ => {}
      }
    }
    !self.any()
  }

  /// Main is gone or the renderer closed: nothing is waited for.
  ///
  /// # Returns
  /// Whether [`any`](Self::any) changed.
  pub fn clear(&mut self) -> bool {
    let before = self.any();
    self.pending.clear();
    before
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::wire::encode_into;

  fn batch(frames: &[(u8, u32, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(k, renderer, request) in frames {
      encode_into(&mut out, k, 1, renderer, request, b"ch", b"[1]");
    }
    out
  }

  #[test]
  fn a_renderer_batch_of_renderer_kinds_passes() {
    let b = batch(&[
      (kind::SEND, 1, 0),
      (kind::INVOKE, 1, 2),
      (kind::CANCEL, 1, 2),
    ]);
    assert_eq!(check_batch(&b, 1 << 20, Writer::Renderer), Ok(()));
    assert_eq!(check_batch(&[], 1 << 20, Writer::Renderer), Ok(()));
  }

  #[test]
  fn each_writer_sends_only_its_own_kinds() {
    assert!(Writer::Renderer.may_send(kind::INVOKE));
    assert!(!Writer::Renderer.may_send(kind::RESULT_OK));
    assert!(!Writer::Renderer.may_send(kind::CONNECT));
    assert!(Writer::Renderer.may_send(kind::PORT_MESSAGE));
    assert!(Writer::Main.may_send(kind::SYNC_REPLY));
    assert!(!Writer::Main.may_send(kind::SEND));
  }

  #[test]
  fn a_batch_with_a_foreign_kind_or_a_cut_frame_is_refused() {
    let main_kind = batch(&[(kind::SEND, 1, 0), (kind::MESSAGE, 1, 0)]);
    assert!(check_batch(&main_kind, 1 << 20, Writer::Renderer).is_err());
    let connect = batch(&[(kind::CONNECT, 1, 0)]);
    assert!(check_batch(&connect, 1 << 20, Writer::Renderer).is_err());
    let renderer_kind = batch(&[(kind::RESULT_OK, 1, 1), (kind::SEND, 1, 0)]);
    assert!(check_batch(&renderer_kind, 1 << 20, Writer::Main).is_err());
    let b = batch(&[(kind::SEND, 1, 0)]);
    assert_eq!(
      check_batch(&b[..b.len() - 1], 1 << 20, Writer::Renderer),
      Err(IpcError::BadFrame("a truncated frame"))
    );
    assert!(matches!(
      check_batch(&b, 10, Writer::Renderer),
      Err(IpcError::FrameTooLarge { .. })
    ));
  }

  #[test]
  fn the_last_frame_of_a_batch_is_found() {
    let b = batch(&[(kind::SEND, 1, 0), (kind::SEND_SYNC, 1, 9)]);
    assert_eq!(last_frame(&b), Some((kind::SEND_SYNC, 9)));
    assert_eq!(last_frame(&[]), None);
  }

  #[test]
  fn main_batches_split_into_runs_per_renderer_in_order() {
    let b = batch(&[
      (kind::MESSAGE, 1, 0),
      (kind::RESULT_OK, 1, 4),
      (kind::MESSAGE, 2, 0),
      (kind::MESSAGE, 1, 0),
    ]);
    let runs: Vec<_> = runs_by_renderer(&b)
      .map(|(r, run)| (r, run.len()))
      .collect();
    let one = b.len() / 4;
    assert_eq!(runs, vec![(1, 2 * one), (2, one), (1, one)]);
    let total: usize = runs.iter().map(|r| r.1).sum();
    assert_eq!(total, b.len());
    assert_eq!(runs_by_renderer(&[]).count(), 0);
  }

  #[test]
  fn a_burst_flushes_after_its_frame_or_byte_bound() {
    let b = Burst::default();
    for _ in 1..Burst::FRAMES {
      assert!(!b.add(10));
    }
    assert!(b.add(10), "the 256th frame flushes");
    assert!(!b.add(10), "and the count starts again");
    assert!(b.add(Burst::BYTES), "a large frame flushes at once");
    b.add(100);
    b.reset();
    for _ in 1..Burst::FRAMES {
      assert!(!b.add(1));
    }
  }

  #[test]
  fn an_invoke_holds_until_its_result_is_delivered() {
    let mut h = Holds::default();
    assert!(h.sent(&batch(&[(kind::SEND, 1, 0), (kind::INVOKE, 1, 5)])));
    assert!(!h.sent_one(kind::INVOKE, 6), "already holding");
    assert!(!h.delivered(&batch(&[(kind::MESSAGE, 1, 0), (kind::RESULT_OK, 1, 5)])));
    assert!(h.any());
    assert!(h.delivered(&batch(&[(kind::RESULT_ERR, 1, 6)])));
    assert!(!h.any());
    assert!(
      !h.delivered(&batch(&[(kind::RESULT_OK, 1, 6)])),
      "a late answer changes nothing"
    );
  }

  #[test]
  fn a_cancelled_invoke_or_a_closed_hub_ends_the_hold() {
    let mut h = Holds::default();
    h.sent(&batch(&[(kind::INVOKE, 1, 1)]));
    assert!(h.sent(&batch(&[(kind::CANCEL, 1, 1)])));
    h.sent(&batch(&[(kind::INVOKE, 1, 2), (kind::INVOKE, 1, 3)]));
    assert!(h.delivered(&batch(&[(kind::CLOSED, 1, 0)])));
    h.sent(&batch(&[(kind::INVOKE, 1, 4)]));
    assert!(h.clear());
    assert!(!h.clear());
  }

  #[test]
  fn a_sync_send_on_a_hub_route_carries_earlier_frames_first() {
    use crate::queue::tests::Counter;
    use crate::queue::Inbox;
    let hub = Hub::new(Box::new(Arc::new(Counter::default())));
    let inbox = Arc::new(Inbox::new(Box::new(Arc::new(Counter::default()))));
    let r = hub.attach(inbox).unwrap();
    let route = Route::Hub(hub.clone());
    let frames = batch(&[(kind::SEND, r, 0), (kind::SEND_SYNC, r, 7)]);
    let h2 = hub.clone();
    let t = std::thread::spawn(move || route.send_sync(r, 7, frames));
    // Main sees both frames, in order, then answers the last.
    let mut seen = Vec::new();
    while seen.len() < 2 {
      let mut out = Vec::new();
      h2.inbox.drain_into(&mut out, 16, usize::MAX);
      seen.extend(wire::frames(&out).map(|(k, _, q, _)| (k, q)));
      std::thread::yield_now();
    }
    assert_eq!(seen, vec![(kind::SEND, 0), (kind::SEND_SYNC, 7)]);
    assert!(h2.complete_sync(r, 7, Ok(vec![1, b'x'])));
    assert_eq!(t.join().unwrap(), Ok(vec![1, b'x']));
    assert_eq!(hub.counted_in.of(kind::SEND).0, 1, "both counted");
    assert_eq!(hub.counted_in.of(kind::SEND_SYNC).0, 1);
  }
}
