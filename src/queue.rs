//! One inbox: a FIFO of encoded frames, pushed from any thread, drained in
//! batches on the owner's JS thread, plus its doorbell.
//!
//! The doorbell only says "the queue is not empty". It is rung at most once
//! until the consumer drains the queue empty, so a burst of N frames costs one
//! wake-up. Ordering: one mutex-protected deque, so frames leave in the order
//! their `push` calls took the lock; a single producer's frames stay in order.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::error::{IpcError, Result};

/// Wakes the consumer of an inbox. The binding implements it with one
/// threadsafe function; tests with a counter.
pub trait Doorbell: Send + Sync {
  /// Asks the consumer to drain soon.
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] when the consumer is gone for good (its env
  /// was torn down); the inbox then closes itself.
  fn ring(&self) -> Result<()>;
}

#[derive(Default)]
struct State {
  frames: VecDeque<Vec<u8>>,
  bytes: usize,
  /// A ring is outstanding: pushes need not ring again.
  rung: bool,
  closed: bool,
}

/// Counters read by `stats()`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
  /// Frames waiting.
  pub frames: usize,
  /// Bytes waiting.
  pub bytes: usize,
}

/// A FIFO of frames with a doorbell.
pub struct Inbox {
  state: Mutex<State>,
  bell: Box<dyn Doorbell>,
}

/// What one [`Inbox::drain_into`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
  /// Frames appended to the output.
  pub frames: usize,
  /// Frames still waiting (the batch limit was hit); the doorbell was rung
  /// again for them.
  pub more: bool,
}

/// Frames at least this large are handed to JavaScript alone, as a view
/// of the frame itself (no copy into a batch).
pub const LARGE_FRAME: usize = 64 * 1024;

/// What one [`Inbox::take`] took.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
  /// Nothing was queued.
  Empty,
  /// One large frame (at least [`LARGE_FRAME`] bytes), alone.
  Large(Vec<u8>),
  /// Frames moved to the caller's list, this many bytes in all, to be
  /// copied into one batch.
  Batch(usize),
}

/// The drain policy: one large frame alone, or a bounded batch of frames.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
  /// Frames per batch at most.
  pub frames: usize,
  /// Bytes per batch, about: past the first frame, one that would pass it
  /// waits for the next batch.
  pub bytes: usize,
}

impl Inbox {
  /// An empty, open inbox.
  pub fn new(bell: Box<dyn Doorbell>) -> Self {
    Inbox {
      state: Mutex::new(State::default()),
      bell,
    }
  }

  fn lock(&self) -> std::sync::MutexGuard<'_, State> {
    // A panic while holding this lock cannot leave the deque inconsistent
    // (every critical section is a handful of infallible operations), so a
    // poisoned lock is still usable.
    self.state.lock().unwrap_or_else(|p| p.into_inner())
  }

  /// Appends one encoded frame and rings the doorbell if no ring is pending.
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] if the inbox is closed; nothing is queued.
  pub fn push(&self, frame: Vec<u8>) -> Result<()> {
    let ring = {
      let mut st = self.lock();
      if st.closed {
        return Err(IpcError::Disconnected);
      }
      st.bytes += frame.len();
      st.frames.push_back(frame);
      !std::mem::replace(&mut st.rung, true)
    };
    if ring {
      self.ring_or_close()?;
    }
    Ok(())
  }

  /// Appends one frame without ringing: the caller promises a
  /// [`flush`](Self::flush) soon (a producer that sends a burst in one
  /// synchronous stretch rings once for all of it). The frame is visible to
  /// the consumer at once; only the wake-up is deferred.
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] if the inbox is closed; nothing is queued.
  pub fn push_quiet(&self, frame: Vec<u8>) -> Result<()> {
    let mut st = self.lock();
    if st.closed {
      return Err(IpcError::Disconnected);
    }
    st.bytes += frame.len();
    st.frames.push_back(frame);
    Ok(())
  }

  /// Rings if frames wait and no ring is pending.
  pub fn flush(&self) -> Result<()> {
    let ring = {
      let mut st = self.lock();
      !st.frames.is_empty() && !std::mem::replace(&mut st.rung, true)
    };
    if ring {
      self.ring_or_close()?;
    }
    Ok(())
  }

  fn ring_or_close(&self) -> Result<()> {
    let res = self.bell.ring();
    if res.is_err() {
      self.close();
    }
    res
  }

  /// Moves up to `max_frames` frames (and, past the first, about `max_bytes`)
  /// to the end of `out`, oldest first. When frames remain, rings again so the
  /// consumer comes back after yielding to its event loop.
  pub fn drain_into(&self, out: &mut Vec<u8>, max_frames: usize, max_bytes: usize) -> Drained {
    let (frames, more) = {
      let mut st = self.lock();
      let mut n = 0;
      while n < max_frames {
        let next_len = match st.frames.front() {
          Some(f) => f.len(),
          None => break,
        };
        if n > 0 && out.len() + next_len > max_bytes {
          break;
        }
        let f = st.frames.pop_front().expect("front was Some");
        st.bytes -= f.len();
        out.extend_from_slice(&f);
        n += 1;
      }
      let more = !st.frames.is_empty();
      st.rung = more;
      (n, more)
    };
    if more {
      let _ = self.ring_or_close();
    }
    Drained { frames, more }
  }

  /// Takes what the consumer handles next (see [`Taken`]): the oldest
  /// frame alone if it is large, else up to `limits` of frames moved (not
  /// copied) to the end of `out`, a large one ending the batch. The second
  /// value says whether frames remain; the doorbell was then rung again, so
  /// a consumer that stops after one take still comes back for them.
  pub fn take(&self, out: &mut Vec<Vec<u8>>, limits: Limits) -> (Taken, bool) {
    let (taken, more) = {
      let mut st = self.lock();
      let taken = match st.frames.front() {
        None => Taken::Empty,
        Some(f) if f.len() >= LARGE_FRAME => {
          let f = st.frames.pop_front().expect("front was Some");
          st.bytes -= f.len();
          Taken::Large(f)
        }
        Some(_) => {
          let (mut n, mut bytes) = (0, 0);
          while n < limits.frames {
            let next_len = match st.frames.front() {
              Some(f) => f.len(),
              None => break,
            };
            if next_len >= LARGE_FRAME || (n > 0 && bytes + next_len > limits.bytes) {
              break;
            }
            let f = st.frames.pop_front().expect("front was Some");
            st.bytes -= f.len();
            bytes += f.len();
            out.push(f);
            n += 1;
          }
          Taken::Batch(bytes)
        }
      };
      let more = !st.frames.is_empty();
      st.rung = more;
      (taken, more)
    };
    if more {
      let _ = self.ring_or_close();
    }
    (taken, more)
  }

  /// Moves every queued frame to `into` without copying them (a socket
  /// writer hands them to the kernel as they are). Like a drain that empties
  /// the inbox, it re-arms the doorbell.
  pub fn take_all(&self, into: &mut VecDeque<Vec<u8>>) {
    let mut st = self.lock();
    st.bytes = 0;
    into.extend(st.frames.drain(..));
    st.rung = false;
  }

  /// Takes out the queued frames `pick` selects, oldest first; the others
  /// stay, in order (a message port leaving this inbox's thread takes its
  /// undelivered frames along).
  pub fn take_where(&self, mut pick: impl FnMut(&[u8]) -> bool) -> Vec<Vec<u8>> {
    let mut st = self.lock();
    let mut taken = Vec::new();
    let mut kept = VecDeque::with_capacity(st.frames.len());
    for f in st.frames.drain(..) {
      if pick(&f) {
        taken.push(f);
      } else {
        kept.push_back(f);
      }
    }
    st.frames = kept;
    st.bytes -= taken.iter().map(Vec::len).sum::<usize>();
    taken
  }

  /// Stops accepting frames; what is queued can still be drained.
  pub fn close(&self) {
    self.lock().closed = true;
  }

  /// Whether [`close`](Self::close) was called.
  pub fn is_closed(&self) -> bool {
    self.lock().closed
  }

  /// Frames and bytes waiting.
  pub fn depth(&self) -> Depth {
    let st = self.lock();
    Depth {
      frames: st.frames.len(),
      bytes: st.bytes,
    }
  }
}

/// Bytes of large frames lent to JavaScript as views and not yet given
/// back. Node frees such a buffer only after a garbage collection and a
/// turn of the event loop, so a loop that drains inline (or a receiver
/// that keeps them) could hold many; past [`Lent::CAP`] they are copied
/// instead.
pub struct Lent {
  bytes: std::sync::atomic::AtomicUsize,
}

impl Lent {
  /// Bytes that may be lent at once, process-wide. Not less: a steady
  /// stream of large frames keeps about 64 MiB lent between two
  /// collections (V8's external-memory step) plus the loop turn before
  /// their finalizers run, so a 64 MiB cap copied most frames of a 1 MiB
  /// stream (each copy into fresh pages), at twice the CPU and more RSS.
  pub const CAP: usize = 256 * 1024 * 1024;

  /// Nothing lent.
  pub const fn new() -> Self {
    Lent {
      bytes: std::sync::atomic::AtomicUsize::new(0),
    }
  }

  /// Lends `len` bytes if that stays within [`CAP`](Self::CAP) (a first
  /// frame larger than the cap is lent alone).
  pub fn try_lend(&self, len: usize) -> bool {
    use std::sync::atomic::Ordering;
    self
      .bytes
      .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
        (cur == 0 || cur + len <= Self::CAP).then_some(cur + len)
      })
      .is_ok()
  }

  /// `len` lent bytes were freed.
  pub fn give_back(&self, len: usize) {
    self
      .bytes
      .fetch_sub(len, std::sync::atomic::Ordering::AcqRel);
  }

  /// Bytes lent now.
  pub fn now(&self) -> usize {
    self.bytes.load(std::sync::atomic::Ordering::Acquire)
  }
}

impl Default for Lent {
  fn default() -> Self {
    Self::new()
  }
}

#[cfg(test)]
pub(crate) mod tests {
  use super::*;
  use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
  use std::sync::Arc;

  /// A doorbell that counts rings and can be made to fail.
  #[derive(Default)]
  pub struct Counter {
    pub rings: AtomicUsize,
    pub dead: AtomicBool,
  }

  impl Doorbell for Arc<Counter> {
    fn ring(&self) -> Result<()> {
      if self.dead.load(Ordering::SeqCst) {
        return Err(IpcError::Disconnected);
      }
      self.rings.fetch_add(1, Ordering::SeqCst);
      Ok(())
    }
  }

  fn inbox() -> (Inbox, Arc<Counter>) {
    let c = Arc::new(Counter::default());
    (Inbox::new(Box::new(c.clone())), c)
  }

  #[test]
  fn a_burst_rings_once_and_drains_in_order() {
    let (q, bell) = inbox();
    for i in 0..100u8 {
      q.push(vec![i]).unwrap();
    }
    assert_eq!(bell.rings.load(Ordering::SeqCst), 1);
    let mut out = Vec::new();
    let d = q.drain_into(&mut out, usize::MAX, usize::MAX);
    assert_eq!(
      d,
      Drained {
        frames: 100,
        more: false
      }
    );
    assert_eq!(out, (0..100u8).collect::<Vec<_>>());
    q.push(vec![1]).unwrap();
    assert_eq!(
      bell.rings.load(Ordering::SeqCst),
      2,
      "rings again once drained"
    );
  }

  #[test]
  fn a_bounded_drain_rings_again_for_the_rest() {
    let (q, bell) = inbox();
    for i in 0..10u8 {
      q.push(vec![i; 4]).unwrap();
    }
    let mut out = Vec::new();
    assert_eq!(
      q.drain_into(&mut out, 3, usize::MAX),
      Drained {
        frames: 3,
        more: true
      }
    );
    assert_eq!(bell.rings.load(Ordering::SeqCst), 2);
    assert_eq!(
      q.depth(),
      Depth {
        frames: 7,
        bytes: 28
      }
    );
    out.clear();
    // The byte bound stops after the first frame that would pass it.
    assert_eq!(
      q.drain_into(&mut out, 100, 6),
      Drained {
        frames: 1,
        more: true
      }
    );
    let d = q.drain_into(&mut out, 100, usize::MAX);
    assert_eq!(
      d,
      Drained {
        frames: 6,
        more: false
      }
    );
  }

  #[test]
  fn quiet_pushes_ring_once_at_flush_and_not_when_already_drained() {
    let (q, bell) = inbox();
    for i in 0..10u8 {
      q.push_quiet(vec![i]).unwrap();
    }
    assert_eq!(bell.rings.load(Ordering::SeqCst), 0);
    q.flush().unwrap();
    q.flush().unwrap();
    assert_eq!(bell.rings.load(Ordering::SeqCst), 1);
    let mut out = Vec::new();
    q.drain_into(&mut out, 100, usize::MAX);
    q.push_quiet(vec![1]).unwrap();
    q.drain_into(&mut out, 100, usize::MAX);
    q.flush().unwrap();
    assert_eq!(
      bell.rings.load(Ordering::SeqCst),
      1,
      "drained before the flush: no ring"
    );
    q.close();
    assert_eq!(q.push_quiet(vec![2]), Err(IpcError::Disconnected));
  }

  const LIMITS: Limits = Limits {
    frames: 3,
    bytes: 1000,
  };

  #[test]
  fn take_hands_small_frames_as_a_batch_and_a_large_one_alone() {
    let (q, bell) = inbox();
    for i in 0..4u8 {
      q.push(vec![i; 10]).unwrap();
    }
    q.push(vec![9; LARGE_FRAME]).unwrap();
    q.push(vec![7; 10]).unwrap();
    let mut out = Vec::new();
    assert_eq!(q.take(&mut out, LIMITS), (Taken::Batch(30), true));
    assert_eq!(out, vec![vec![0; 10], vec![1; 10], vec![2; 10]]);
    assert_eq!(
      bell.rings.load(Ordering::SeqCst),
      2,
      "rung again for the rest"
    );
    out.clear();
    // A large frame ends a batch, then goes alone.
    assert_eq!(q.take(&mut out, LIMITS), (Taken::Batch(10), true));
    assert_eq!(
      q.take(&mut out, LIMITS),
      (Taken::Large(vec![9; LARGE_FRAME]), true)
    );
    out.clear();
    assert_eq!(q.take(&mut out, LIMITS), (Taken::Batch(10), false));
    assert_eq!(q.take(&mut out, LIMITS), (Taken::Empty, false));
    assert_eq!(q.depth(), Depth::default());
    q.push(vec![1]).unwrap();
    assert_eq!(
      bell.rings.load(Ordering::SeqCst),
      5,
      "a take that empties it re-arms the bell"
    );
  }

  #[test]
  fn take_stops_a_batch_before_its_byte_bound_but_always_takes_one() {
    let (q, _) = inbox();
    q.push(vec![1; 900]).unwrap();
    q.push(vec![2; 200]).unwrap();
    let mut out = Vec::new();
    let tight = Limits {
      frames: 10,
      bytes: 100,
    };
    assert_eq!(q.take(&mut out, tight), (Taken::Batch(900), true));
    assert_eq!(q.take(&mut out, tight), (Taken::Batch(200), false));
  }

  #[test]
  fn lending_stops_at_the_cap_and_resumes_as_views_are_freed() {
    let lent = Lent::new();
    assert!(
      lent.try_lend(Lent::CAP + 1),
      "one oversized view alone is lent"
    );
    assert!(!lent.try_lend(1));
    lent.give_back(Lent::CAP + 1);
    assert!(lent.try_lend(Lent::CAP / 2));
    assert!(lent.try_lend(Lent::CAP / 2));
    assert!(!lent.try_lend(1), "full: copy instead");
    lent.give_back(Lent::CAP / 2);
    assert!(lent.try_lend(1));
    assert_eq!(lent.now(), Lent::CAP / 2 + 1);
  }

  #[test]
  fn a_closed_inbox_refuses_pushes_but_keeps_what_it_has() {
    let (q, _) = inbox();
    q.push(vec![1]).unwrap();
    q.close();
    assert_eq!(q.push(vec![2]), Err(IpcError::Disconnected));
    let mut out = Vec::new();
    assert_eq!(q.drain_into(&mut out, 10, 10).frames, 1);
  }

  #[test]
  fn a_dead_doorbell_closes_the_inbox() {
    let (q, bell) = inbox();
    bell.dead.store(true, Ordering::SeqCst);
    assert_eq!(q.push(vec![1]), Err(IpcError::Disconnected));
    assert!(q.is_closed());
  }

  #[test]
  fn many_producers_lose_nothing_and_keep_each_producers_order() {
    let (q, _) = inbox();
    let q = Arc::new(q);
    let threads: Vec<_> = (0..4u8)
      .map(|t| {
        let q = q.clone();
        std::thread::spawn(move || {
          for i in 0..5000u32 {
            let mut f = vec![t];
            f.extend_from_slice(&i.to_le_bytes());
            q.push(f).unwrap();
          }
        })
      })
      .collect();
    let mut seen = [0u32; 4];
    let mut total = 0;
    let mut out = Vec::new();
    while total < 20_000 {
      out.clear();
      total += q.drain_into(&mut out, 64, usize::MAX).frames;
      for f in out.chunks(5) {
        let i = u32::from_le_bytes([f[1], f[2], f[3], f[4]]);
        assert_eq!(i, seen[f[0] as usize], "producer {} out of order", f[0]);
        seen[f[0] as usize] += 1;
      }
    }
    for t in threads {
      t.join().unwrap();
    }
    assert_eq!(seen, [5000; 4]);
  }
}
