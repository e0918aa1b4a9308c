//! A buffered stream of whole frames, and the write half every socket
//! connection shares.
//!
//! [`FrameReader`] is pure (no IO): bytes go in as they are read, whole
//! frames come out, and anything that can never become a valid frame is an
//! error that ends the connection. [`Conn`] is one connected socket: its
//! outbox is an [`Inbox`] like any renderer's, whose doorbell writes the
//! frames straight to the socket from the thread that flushed them (no
//! thread hop in the common case); only when the socket is full does a tokio
//! task finish the write when it drains. Reading is its owner's:
//! [`Conn::read_some`] reads what is there without blocking, called from
//! the owning JS thread's libuv loop (the binding) or from [`poll_reads`]
//! on the IO runtime.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::Notify;

use crate::error::{IpcError, Result};
use crate::queue::{Doorbell, Inbox};
use crate::wire::{self, FrameRef};

/// Bytes asked of the socket per read when no larger frame is pending.
const READ_CHUNK: usize = 64 * 1024;
/// A frame at least this large is read into a buffer of its own exact size,
/// which then becomes the frame without a copy.
const OWN_BUFFER: usize = 32 * 1024;

/// One whole frame from [`FrameReader::next_raw`].
pub enum Raw<'a> {
  /// A buffer of its own (a large frame), to keep as it is.
  Owned(Vec<u8>),
  /// Bytes in the reader's buffer, valid until the next read.
  Slice(&'a [u8]),
}

impl Raw<'_> {
  /// The frame's bytes.
  pub fn bytes(&self) -> &[u8] {
    match self {
      Raw::Owned(v) => v,
      Raw::Slice(s) => s,
    }
  }
}

/// Splits a byte stream into frames.
pub struct FrameReader {
  buf: Vec<u8>,
  start: usize,
  limit: usize,
}

impl FrameReader {
  /// An empty reader refusing frames over `limit` bytes.
  pub fn new(limit: usize) -> Self {
    FrameReader {
      buf: Vec::new(),
      start: 0,
      limit,
    }
  }

  /// Changes the size limit (after a handshake read under a small one).
  pub fn set_limit(&mut self, limit: usize) {
    self.limit = limit;
  }

  /// Appends bytes read from the stream.
  pub fn extend(&mut self, bytes: &[u8]) {
    self.compact();
    self.buf.extend_from_slice(bytes);
  }

  /// Bytes received but not yet taken as frames.
  pub fn buffered(&self) -> &[u8] {
    &self.buf[self.start..]
  }

  fn compact(&mut self) {
    if self.start > 0 {
      self.buf.drain(..self.start);
      self.start = 0;
    }
  }

  /// The size of the partly received frame at the front, once its length
  /// prefix is in.
  fn pending_len(&self) -> Option<usize> {
    let b = &self.buf[self.start..];
    (b.len() >= 4).then(|| 4 + u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
  }

  /// The buffer to read into next (reads append to it), with room for at
  /// least one chunk or the rest of the frame whose header has arrived. A
  /// large frame gets a buffer of exactly its size, so a read fills it to
  /// the frame's end and [`next_raw`](Self::next_raw) hands it over.
  pub fn spare(&mut self) -> &mut Vec<u8> {
    if let Some(total) = self.pending_len() {
      if total >= OWN_BUFFER
        && total <= self.limit
        && (self.start > 0 || self.buf.capacity() != total)
      {
        if self.start == 0 && self.buf.capacity() < total {
          // Grown where it is when the allocator can (realloc), instead
          // of a fresh buffer and a copy of what was read of the frame.
          self.buf.reserve_exact(total - self.buf.len());
          if self.buf.capacity() == total {
            return &mut self.buf;
          }
        }
        let mut own = Vec::with_capacity(total);
        own.extend_from_slice(&self.buf[self.start..]);
        self.buf = own;
        self.start = 0;
        return &mut self.buf;
      }
      if total >= OWN_BUFFER {
        return &mut self.buf;
      }
    }
    self.compact();
    let have = self.buf.len();
    let want = self
      .pending_len()
      .map_or(0, |t| t.min(self.limit).saturating_sub(have));
    self.buf.reserve(want.max(READ_CHUNK));
    if self.buf.capacity() > 4 * READ_CHUNK && have == 0 && want == 0 {
      // A large frame went through: do not keep its buffer for ever.
      self.buf = Vec::with_capacity(READ_CHUNK);
    }
    &mut self.buf
  }

  /// The next whole frame's bytes: the reader's own buffer when the frame
  /// fills it exactly (a large frame read by [`spare`](Self::spare)), else borrowed
  /// from the buffer (the caller copies what it keeps, e.g. into a batch).
  ///
  /// # Errors
  /// As [`next_frame`](Self::next_frame).
  pub fn next_raw(&mut self) -> Result<Option<Raw<'_>>> {
    let n = match wire::parse(&self.buf[self.start..], self.limit)? {
      None => return Ok(None),
      Some((_, n)) => n,
    };
    if self.start == 0 && n == self.buf.len() && n >= OWN_BUFFER {
      return Ok(Some(Raw::Owned(std::mem::take(&mut self.buf))));
    }
    let at = self.start;
    self.start += n;
    Ok(Some(Raw::Slice(&self.buf[at..at + n])))
  }

  /// The next whole frame and its raw bytes, `None` until more bytes come.
  ///
  /// # Errors
  /// [`IpcError::BadFrame`] or [`IpcError::FrameTooLarge`] for bytes that
  /// can never become a frame; the connection must then be closed.
  pub fn next_frame(&mut self) -> Result<Option<(FrameRef<'_>, &[u8])>> {
    let n = match wire::parse(&self.buf[self.start..], self.limit)? {
      None => return Ok(None),
      Some((_, n)) => n,
    };
    let at = self.start;
    self.start += n;
    let raw = &self.buf[at..at + n];
    match wire::parse(raw, self.limit)? {
      Some((f, _)) => Ok(Some((f, raw))),
      None => Err(IpcError::BadFrame("frame changed while parsed")),
    }
  }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
  m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Default)]
struct WriteState {
  /// Frames taken from the outbox, not yet written; `off` bytes of the
  /// first are.
  pending: VecDeque<Vec<u8>>,
  off: usize,
  /// The writer task owns the next write (the socket was full).
  busy: bool,
  /// Shut the socket down once everything queued is written.
  finishing: bool,
  /// Writing failed or the socket was shut down: drop further frames.
  broken: bool,
}

/// One connected socket: an outbox written to it, and the stream to read.
///
/// The socket is a plain non-blocking descriptor, registered with no
/// reactor while it is idle: whoever owns the reading (a JS thread's libuv
/// loop, or a task of the IO runtime, see [`poll_reads`]) reads it with
/// [`read_some`](Self::read_some), and writes happen on the thread that
/// flushed them. Only a write that would block registers a duplicate of the
/// descriptor with the IO runtime, for writability alone, until the
/// backlog is written: an idle or read-only connection never wakes the IO
/// thread.
pub struct Conn {
  sock: UnixStream,
  /// Frames to write. A hub's link to a socket renderer holds this.
  pub out: Arc<Inbox>,
  w: Mutex<WriteState>,
  wake: Notify,
  down: AtomicBool,
}

struct OutBell(Weak<Conn>);

impl Doorbell for OutBell {
  fn ring(&self) -> Result<()> {
    match self.0.upgrade() {
      Some(conn) => {
        conn.pump_out();
        Ok(())
      }
      None => Err(IpcError::Disconnected),
    }
  }
}

/// How one [`Conn::read_some`] call ended.
#[derive(Debug)]
pub enum Step {
  /// The socket has nothing more for now.
  Idle,
  /// The byte budget is spent; the socket may have more.
  More,
  /// The connection is over (the frames before the end were handed out).
  End(ReadEnd),
}

/// Bytes read from a socket per wake-up at most, so one busy connection
/// neither starves the others on its loop nor fills memory ahead of the
/// consumer.
pub const READ_BUDGET: usize = 1024 * 1024;

impl Conn {
  /// Wraps a connected stream (made non-blocking here) and starts its
  /// writer task on the IO runtime.
  ///
  /// # Errors
  /// If the stream cannot be made non-blocking.
  pub fn start(sock: UnixStream) -> io::Result<Arc<Conn>> {
    sock.set_nonblocking(true)?;
    let conn = Arc::new_cyclic(|weak: &Weak<Conn>| Conn {
      sock,
      out: Arc::new(Inbox::new(Box::new(OutBell(weak.clone())))),
      w: Mutex::default(),
      wake: Notify::new(),
      down: AtomicBool::new(false),
    });
    crate::transport::runtime().spawn(writer(conn.clone()));
    Ok(conn)
  }

  /// The socket's descriptor (to poll it; it stays owned by this `Conn`).
  #[cfg(unix)]
  pub fn fd(&self) -> std::os::fd::RawFd {
    use std::os::fd::AsRawFd;
    self.sock.as_raw_fd()
  }

  /// Whether the socket was shut down.
  pub fn is_down(&self) -> bool {
    self.down.load(Ordering::Acquire)
  }

  /// Writes what the outbox holds now, on this thread, as far as the socket
  /// takes it without blocking; the writer task does the rest.
  fn pump_out(&self) {
    let mut w = lock(&self.w);
    if w.busy || w.broken {
      // The writer task takes the outbox's frames when the socket drains.
      if w.broken {
        self.out.take_all(&mut VecDeque::new());
      }
      return;
    }
    self.out.take_all(&mut w.pending);
    match self.write_some(&mut w) {
      Ok(true) => {
        if w.finishing {
          self.shutdown_locked(&mut w);
        }
      }
      Ok(false) => {
        w.busy = true;
        self.wake.notify_one();
      }
      Err(_) => self.shutdown_locked(&mut w),
    }
  }

  /// Writes pending frames until done (`true`) or the socket is full.
  fn write_some(&self, w: &mut WriteState) -> io::Result<bool> {
    while !w.pending.is_empty() {
      let n = {
        let mut slices: [IoSlice<'_>; 64] = [IoSlice::new(&[]); 64];
        let mut k = 0;
        for (i, f) in w.pending.iter().take(64).enumerate() {
          slices[i] = IoSlice::new(if i == 0 { &f[w.off..] } else { f });
          k += 1;
        }
        match (&self.sock).write_vectored(&slices[..k]) {
          Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
          Ok(n) => n,
          Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
          Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
          Err(e) => return Err(e),
        }
      };
      let mut n = n;
      while n > 0 {
        let first = w.pending.front().map_or(0, Vec::len) - w.off;
        if n >= first {
          n -= first;
          w.pending.pop_front();
          w.off = 0;
        } else {
          w.off += n;
          n = 0;
        }
      }
    }
    Ok(true)
  }

  fn shutdown_locked(&self, w: &mut WriteState) {
    w.broken = true;
    w.pending.clear();
    w.off = 0;
    if !self.down.swap(true, Ordering::AcqRel) {
      let _ = self.sock.shutdown(std::net::Shutdown::Both);
    }
    self.wake.notify_one();
  }

  /// Shuts the socket down now: reads end (EOF), queued frames are dropped.
  pub fn shutdown(&self) {
    self.out.close();
    let mut w = lock(&self.w);
    self.shutdown_locked(&mut w);
  }

  /// Shuts the socket down once every queued frame is written.
  pub fn finish(&self) {
    self.out.close();
    {
      let mut w = lock(&self.w);
      w.finishing = true;
    }
    self.pump_out();
  }

  /// Writes everything queued before returning, blocking this thread for up
  /// to `timeout` (used at process exit, when no task will run again).
  ///
  /// # Returns
  /// Whether everything was written.
  pub fn flush_blocking(&self, timeout: Duration) -> bool {
    let until = Instant::now() + timeout;
    loop {
      {
        let mut w = lock(&self.w);
        if w.broken {
          return false;
        }
        self.out.take_all(&mut w.pending);
        match self.write_some(&mut w) {
          Ok(true) => {
            if w.finishing {
              self.shutdown_locked(&mut w);
            }
            return true;
          }
          Ok(false) => {}
          Err(_) => {
            self.shutdown_locked(&mut w);
            return false;
          }
        }
      }
      let left = until.saturating_duration_since(Instant::now());
      if left.is_zero() {
        return false;
      }
      self.wait(libc::POLLOUT, left);
    }
  }

  /// Blocks this thread until the socket is readable (or has hung up), up
  /// to `timeout`.
  pub fn wait_readable(&self, timeout: Duration) {
    self.wait(libc::POLLIN, timeout);
  }

  fn wait(&self, events: libc::c_short, timeout: Duration) {
    let mut pfd = libc::pollfd {
      fd: self.fd(),
      events,
      revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd.
    unsafe {
      libc::poll(&mut pfd, 1, ms.max(1));
    }
  }

  /// Reads what the socket has, without blocking, up to about `budget`
  /// bytes, handing each whole frame to `on_frame` (parse it with
  /// [`view`]). Frames already buffered are handed out first; so are all
  /// whole frames of the last read, whatever the budget.
  pub fn read_some(
    &self,
    reader: &mut FrameReader,
    budget: usize,
    mut on_frame: impl FnMut(Raw<'_>) -> Result<Next>,
  ) -> Step {
    let mut got = 0usize;
    // The last read took less than it asked for: the socket is empty (a
    // level-triggered poll says so again if more comes), no need to ask.
    let mut short = false;
    loop {
      loop {
        match reader.next_raw() {
          Ok(Some(raw)) => match on_frame(raw) {
            Ok(Next::Go) => {}
            Ok(Next::Stop) => return Step::End(ReadEnd::Stop),
            Err(e) => return Step::End(ReadEnd::Bad(e)),
          },
          Ok(None) => break,
          Err(e) => return Step::End(ReadEnd::Bad(e)),
        }
      }
      if self.is_down() {
        return Step::End(ReadEnd::Eof);
      }
      if short {
        return Step::Idle;
      }
      if got >= budget {
        return Step::More;
      }
      let buf = reader.spare();
      // Never more than the budget left: the budget is what keeps a paused
      // hub's inbox near its bound (a large buffer would read far past it).
      let asked = (buf.capacity() - buf.len()).min(budget - got).max(1);
      match read_into(&self.sock, buf, asked) {
        Ok(0) if !reader.buffered().is_empty() && !self.is_down() => {
          return Step::End(ReadEnd::Truncated)
        }
        Ok(0) => return Step::End(ReadEnd::Eof),
        Ok(n) => {
          got += n;
          short = n < asked;
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Step::Idle,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
        Err(e) => return Step::End(ReadEnd::Io(e)),
      }
    }
  }
}

/// One `read(2)` into the spare capacity of `buf`, of at most `max` bytes
/// (at least one).
fn read_into(sock: &UnixStream, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
  use std::os::fd::AsRawFd;
  if buf.capacity() == buf.len() {
    buf.reserve(READ_CHUNK);
  }
  let room = (buf.capacity() - buf.len()).min(max.max(1));
  // SAFETY: reading into the vector's own spare capacity, `room` bytes of
  // it; the length grows only by what the kernel wrote.
  unsafe {
    let n = libc::read(
      sock.as_raw_fd(),
      buf.as_mut_ptr().add(buf.len()).cast(),
      room,
    );
    if n < 0 {
      return Err(io::Error::last_os_error());
    }
    buf.set_len(buf.len() + n as usize);
    Ok(n as usize)
  }
}

/// Registers a duplicate of a socket with the IO runtime (inside it).
fn watch(dup: UnixStream, interest: Interest) -> io::Result<AsyncFd<UnixStream>> {
  // SAFETY: the `UnixStream` owns its descriptor, which stays open and the
  // same for as long as the `AsyncFd` (its owner) lives.
  unsafe { AsyncFd::register_with_interest(dup, interest) }.map_err(io::Error::from)
}

async fn writer(conn: Arc<Conn>) {
  loop {
    conn.wake.notified().await;
    if lock(&conn.w).broken {
      return;
    }
    // A duplicate registered for writability only, for as long as the
    // backlog lasts.
    let watch = conn
      .sock
      .try_clone()
      .and_then(|s| watch(s, Interest::WRITABLE));
    let Ok(watch) = watch else {
      let mut w = lock(&conn.w);
      conn.shutdown_locked(&mut w);
      return;
    };
    loop {
      let mut ready = match watch.writable().await {
        Ok(r) => r,
        Err(_) => {
          let mut w = lock(&conn.w);
          conn.shutdown_locked(&mut w);
          return;
        }
      };
      let mut w = lock(&conn.w);
      if w.broken {
        return;
      }
      conn.out.take_all(&mut w.pending);
      match conn.write_some(&mut w) {
        Ok(true) => {
          w.busy = false;
          if w.finishing {
            conn.shutdown_locked(&mut w);
            return;
          }
          break;
        }
        Ok(false) => ready.clear_ready(),
        Err(_) => {
          conn.shutdown_locked(&mut w);
          return;
        }
      }
    }
  }
}

/// What a reading owner decides after one wake-up of its socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
  /// Nothing more to read now: wait for the socket.
  Wait,
  /// Read again soon (the budget ran out with bytes left).
  Again,
  /// Stop reading until told to resume (the consumer is behind).
  Pause,
  /// The connection is over: stop for good.
  Done,
}

/// Reads a connection on the IO runtime (where no JS thread's loop polls
/// it: the Rust tests, and any reader started without one): waits for
/// readability on a duplicate of the descriptor and calls `on_ready` until
/// it says [`Flow::Done`]. A pause is retried after a millisecond.
pub async fn poll_reads(conn: &Conn, mut on_ready: impl FnMut() -> Flow) {
  let watch = conn
    .sock
    .try_clone()
    .and_then(|s| watch(s, Interest::READABLE));
  let Ok(watch) = watch else {
    // Cannot watch it: read until it ends, a millisecond apart.
    while on_ready() != Flow::Done {
      tokio::time::sleep(Duration::from_millis(1)).await;
    }
    return;
  };
  loop {
    match on_ready() {
      Flow::Done => return,
      Flow::Again => tokio::task::yield_now().await,
      Flow::Pause => tokio::time::sleep(Duration::from_millis(1)).await,
      Flow::Wait => match watch.readable().await {
        Ok(mut r) => r.clear_ready(),
        Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
      },
    }
  }
}

/// How a read loop ended.
#[derive(Debug)]
pub enum ReadEnd {
  /// The peer closed the connection (or it was shut down here).
  Eof,
  /// The peer closed the connection in the middle of a frame.
  Truncated,
  /// A read failed.
  Io(io::Error),
  /// The peer sent bytes that are not a valid frame, or a frame refused by
  /// the callback.
  Bad(IpcError),
  /// The callback asked to stop (the peer said goodbye).
  Stop,
}

/// What a frame callback tells [`Conn::read_some`].
pub enum Next {
  /// Go on reading.
  Go,
  /// Stop reading: the conversation is over.
  Stop,
}

/// The parsed view of one whole frame from [`Conn::read_some`].
///
/// # Errors
/// Never for bytes `read_some` handed over (they were parsed once).
pub fn view(raw: &[u8]) -> Result<FrameRef<'_>> {
  match wire::parse(raw, usize::MAX)? {
    Some((f, _)) => Ok(f),
    None => Err(IpcError::BadFrame("truncated frame")),
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::wire::kind;

  #[test]
  fn frames_come_out_whole_however_the_bytes_are_cut() {
    let mut bytes = Vec::new();
    for i in 0..50u32 {
      wire::encode_into(
        &mut bytes,
        kind::SEND,
        1,
        3,
        i,
        b"ch",
        &vec![i as u8; i as usize * 7],
      );
    }
    for cut in [1usize, 3, 7, 20, 64, 1000] {
      let mut r = FrameReader::new(1 << 20);
      let mut got = Vec::new();
      for chunk in bytes.chunks(cut) {
        r.extend(chunk);
        while let Some((f, raw)) = r.next_frame().unwrap() {
          assert_eq!(raw.len(), wire::HEADER_LEN + 2 + f.payload.len());
          got.push((f.request, f.payload.len()));
        }
      }
      let want: Vec<_> = (0..50u32).map(|i| (i, i as usize * 7)).collect();
      assert_eq!(got, want, "cut {cut}");
      assert!(r.buffered().is_empty());
    }
  }

  #[test]
  fn large_frames_read_through_spare_come_out_whole_in_their_own_buffer() {
    // Reads as `read_some` does them: into `spare()`, at most its room.
    let sizes = [
      10usize,
      40 * 1024,
      64 * 1024,
      3,
      100 * 1024,
      64 * 1024 - 19,
      7,
    ];
    let mut stream = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
      let payload: Vec<u8> = (0..n).map(|j| (i * 31 + j) as u8).collect();
      wire::encode_into(&mut stream, kind::SEND, 1, 3, i as u32, b"ch", &payload);
    }
    for cap in [usize::MAX, 5000, 65_536, 70_000] {
      let mut r = FrameReader::new(1 << 20);
      let mut at = 0;
      let mut got = Vec::new();
      while got.len() < sizes.len() {
        while let Some(raw) = r.next_raw().unwrap() {
          let owned = matches!(raw, Raw::Owned(_));
          let bytes = match raw {
            Raw::Owned(v) => v,
            Raw::Slice(s) => s.to_vec(),
          };
          got.push((bytes, owned));
        }
        let buf = r.spare();
        let room = (buf.capacity() - buf.len()).min(cap).min(stream.len() - at);
        if room == 0 && at == stream.len() {
          break;
        }
        buf.extend_from_slice(&stream[at..at + room]);
        at += room;
      }
      let mut want = Vec::new();
      let mut off = 0;
      for _ in &sizes {
        let (_, n) = wire::parse(&stream[off..], usize::MAX).unwrap().unwrap();
        want.push(stream[off..off + n].to_vec());
        off += n;
      }
      assert_eq!(got.len(), sizes.len(), "cap {cap}");
      for (i, (bytes, owned)) in got.iter().enumerate() {
        assert_eq!(bytes, &want[i], "frame {i}, cap {cap}");
        if cap == 65_536 && bytes.len() >= 64 * 1024 {
          // Read 64 KiB at a time, a frame past that ends in its own buffer.
          assert!(owned, "frame {i} not in its own buffer, cap {cap}");
        }
      }
      assert!(r.buffered().is_empty());
    }
  }

  #[test]
  fn a_huge_length_prefix_fails_before_its_body_arrives() {
    let mut r = FrameReader::new(1024);
    r.extend(&u32::MAX.to_le_bytes());
    assert!(matches!(
      r.next_frame(),
      Err(IpcError::FrameTooLarge { .. })
    ));
    let mut r = FrameReader::new(1024);
    r.extend(&[5, 0, 0, 0]);
    assert!(matches!(r.next_frame(), Err(IpcError::BadFrame(_))));
  }

  #[test]
  fn random_bytes_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
      let mut r = FrameReader::new(4096);
      let mut chunk = Vec::new();
      for _ in 0..(seed % 300) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        chunk.push(seed as u8);
      }
      r.extend(&chunk);
      while let Ok(Some(_)) = r.next_frame() {}
    }
  }
}
