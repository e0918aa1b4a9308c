//! Message-port routing: the process-wide table of port ends that left the
//! thread they were made on. No JS, no napi, no IO.
//!
//! Each end has an id (one namespace per process, so an end can move
//! between any threads of it), its entangled peer, and at most one holder:
//! the inbox of the thread whose JS port object delivers it. A port frame
//! posted at an end goes to its peer's holder at once (one push, one ring:
//! the sending thread never wakes anyone else), or is parked at the peer
//! while the peer has no holder (in transit between threads, or not claimed
//! yet). A claim hands the parked frames to the new holder first, under the
//! table lock, so the order per end is the order the frames were posted.
//! Releasing an end (it is being transferred away) takes back what its
//! holder had queued and not yet delivered, in front of what was parked.
//!
//! Port frames are ordinary [`crate::wire`] frames: `request` is the target
//! end, and with [`FLAG_PORTS`] the payload starts with the ids of the ends
//! transferred with the message (`u32` count, then the `u32` ids). Closing an
//! end, or losing its holder (a thread that ends), sends its peer one
//! [`kind::PORT_CLOSE`]; ends inside frames that reach nobody are closed
//! too, so their peers learn it (a port "sent to nowhere").

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use crate::error::Result;
use crate::wire::{self, HEADER_LEN};

/// Port frame kinds (either direction), from the one list in [`wire::kind`].
pub mod kind {
  pub use crate::wire::kind::{PORT_CLOSE, PORT_MESSAGE};
}

/// Frame flag: the payload starts with a list of transferred end ids.
pub const FLAG_PORTS: u16 = 1;

/// The id of one port end.
pub type EndId = u32;

/// Where a held end's frames go: a thread's inbox. The binding implements it
/// with [`crate::queue::Inbox`]; tests with a vector.
pub trait Holder: Send + Sync {
  /// Queues one frame and wakes its thread.
  ///
  /// # Errors
  /// When the holder is gone for good; the table then closes its ends.
  fn deliver(&self, frame: Vec<u8>) -> Result<()>;

  /// Takes back the frames for `end` queued here and not delivered yet,
  /// oldest first (the end is leaving this holder).
  fn take_for(&self, end: EndId) -> Vec<Vec<u8>>;
}

/// A thread's inbox holds ends: frames are pushed (and rung) as they come.
impl Holder for crate::queue::Inbox {
  fn deliver(&self, frame: Vec<u8>) -> Result<()> {
    self.push(frame)
  }

  fn take_for(&self, end: EndId) -> Vec<Vec<u8>> {
    self.take_where(|f| is_port_frame(f) && target(f) == Some(end))
  }
}

/// Whether `frame` is a port frame (`PORT_MESSAGE` or `PORT_CLOSE`).
pub fn is_port_frame(frame: &[u8]) -> bool {
  frame.len() >= HEADER_LEN && (frame[4] == kind::PORT_MESSAGE || frame[4] == kind::PORT_CLOSE)
}

struct End {
  peer: Option<EndId>,
  holder: Option<Arc<dyn Holder>>,
  parked: VecDeque<Vec<u8>>,
}

/// What became of a posted frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
  /// Queued at the peer's holder.
  Delivered,
  /// Kept at the peer until it is claimed.
  Parked,
  /// The end or its peer is closed: dropped (its ends were closed).
  Dropped,
}

#[derive(Default)]
struct Inner {
  next: EndId,
  ends: HashMap<EndId, End>,
}

/// The table of ends (one per process: [`table`]; tests make their own).
#[derive(Default)]
pub struct PortTable {
  inner: Mutex<Inner>,
}

/// The process-wide table.
pub fn table() -> &'static PortTable {
  static TABLE: LazyLock<PortTable> = LazyLock::new(PortTable::default);
  &TABLE
}

fn same(a: &Arc<dyn Holder>, b: &Arc<dyn Holder>) -> bool {
  std::ptr::eq(Arc::as_ptr(a) as *const (), Arc::as_ptr(b) as *const ())
}

/// The target end of a port frame.
pub fn target(frame: &[u8]) -> Option<EndId> {
  (frame.len() >= HEADER_LEN)
    .then(|| u32::from_le_bytes([frame[12], frame[13], frame[14], frame[15]]))
}

fn set_target(frame: &mut [u8], end: EndId) {
  if frame.len() >= HEADER_LEN {
    frame[12..16].copy_from_slice(&end.to_le_bytes());
  }
}

/// The ends a frame carries (those in its port list), if any.
pub fn carried(frame: &[u8]) -> Vec<EndId> {
  if frame.len() < HEADER_LEN || u16::from_le_bytes([frame[6], frame[7]]) & FLAG_PORTS == 0 {
    return Vec::new();
  }
  let ch = u32::from_le_bytes([frame[16], frame[17], frame[18], frame[19]]) as usize;
  let Some(p) = frame.get(HEADER_LEN.saturating_add(ch)..) else {
    return Vec::new();
  };
  if p.len() < 4 {
    return Vec::new();
  }
  let n = u32::from_le_bytes([p[0], p[1], p[2], p[3]]) as usize;
  p[4..]
    .chunks_exact(4)
    .take(n)
    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    .collect()
}

/// The payload of a port frame: `FLAG_PORTS` list, then the message.
pub fn port_payload(ends: &[EndId], message: &[u8]) -> Vec<u8> {
  let mut p = Vec::with_capacity(4 + 4 * ends.len() + message.len());
  p.extend_from_slice(&(ends.len() as u32).to_le_bytes());
  for e in ends {
    p.extend_from_slice(&e.to_le_bytes());
  }
  p.extend_from_slice(message);
  p
}

/// A `PORT_MESSAGE` frame (target filled in by [`PortTable::post`]).
pub fn message_frame(codec: u8, ends: &[EndId], message: &[u8]) -> Vec<u8> {
  let mut f = wire::encode(
    kind::PORT_MESSAGE,
    codec,
    0,
    0,
    b"",
    &port_payload(ends, message),
  );
  f[6..8].copy_from_slice(&FLAG_PORTS.to_le_bytes());
  f
}

fn close_frame(end: EndId) -> Vec<u8> {
  wire::encode(kind::PORT_CLOSE, 0, 0, end, b"", b"")
}

impl PortTable {
  fn lock(&self) -> MutexGuard<'_, Inner> {
    // Every critical section leaves the map consistent.
    self.inner.lock().unwrap_or_else(|p| p.into_inner())
  }

  /// A new entangled pair, neither end held yet.
  pub fn entangle(&self) -> (EndId, EndId) {
    let mut g = self.lock();
    let mut fresh = || loop {
      g.next = g.next.wrapping_add(1);
      let id = g.next;
      if id != 0 && !g.ends.contains_key(&id) {
        return id;
      }
    };
    let a = fresh();
    let b = fresh();
    g.ends.insert(
      a,
      End {
        peer: Some(b),
        holder: None,
        parked: VecDeque::new(),
      },
    );
    g.ends.insert(
      b,
      End {
        peer: Some(a),
        holder: None,
        parked: VecDeque::new(),
      },
    );
    (a, b)
  }

  /// Whether `end` is open (in the table).
  pub fn is_open(&self, end: EndId) -> bool {
    self.lock().ends.contains_key(&end)
  }

  /// Ends in the table.
  pub fn len(&self) -> usize {
    self.lock().ends.len()
  }

  /// Whether the table is empty.
  pub fn is_empty(&self) -> bool {
    self.len() == 0
  }

  /// Posts a port frame from `from` to its peer.
  pub fn post(&self, from: EndId, mut frame: Vec<u8>) -> Posted {
    let mut g = self.lock();
    let peer = g.ends.get(&from).and_then(|e| e.peer);
    let Some(peer) = peer.filter(|p| g.ends.contains_key(p)) else {
      let lost = carried(&frame);
      close_all(&mut g, lost);
      return Posted::Dropped;
    };
    set_target(&mut frame, peer);
    route(&mut g, peer, frame)
  }

  /// Makes `holder` the holder of `end`: what was parked goes to it first.
  /// A closed end gets its `PORT_CLOSE` there at once.
  pub fn claim(&self, end: EndId, holder: Arc<dyn Holder>) {
    let mut g = self.lock();
    let Some(e) = g.ends.get_mut(&end) else {
      let _ = holder.deliver(close_frame(end));
      return;
    };
    let parked = std::mem::take(&mut e.parked);
    e.holder = Some(holder.clone());
    for f in parked {
      if holder.deliver(f).is_err() {
        drop_holder(&mut g, &holder);
        return;
      }
    }
  }

  /// `end` leaves its holder (it is being transferred): frames its holder
  /// had not delivered, after `older` (taken back by the caller from what
  /// its thread had drained but not dispatched), are parked again in front.
  pub fn release(&self, end: EndId, older: Vec<Vec<u8>>) {
    let mut g = self.lock();
    let Some(e) = g.ends.get_mut(&end) else {
      return;
    };
    let mut front: VecDeque<Vec<u8>> = older.into();
    if let Some(h) = e.holder.take() {
      front.extend(h.take_for(end));
    }
    front.append(&mut e.parked);
    e.parked = front;
  }

  /// Closes `end`: its peer gets `PORT_CLOSE`; what was parked at `end` is
  /// dropped (and the ends it carried are closed).
  pub fn close(&self, end: EndId) {
    let mut g = self.lock();
    close_all(&mut g, vec![end]);
  }

  /// A holder is gone (its thread ended): every end it holds is closed.
  pub fn holder_gone(&self, holder: &Arc<dyn Holder>) {
    let mut g = self.lock();
    drop_holder(&mut g, holder);
  }
}

/// Queues `frame` at `end` (its holder, or parked).
fn route(g: &mut Inner, end: EndId, frame: Vec<u8>) -> Posted {
  let Some(e) = g.ends.get_mut(&end) else {
    return Posted::Dropped;
  };
  match &e.holder {
    Some(h) => {
      let h = h.clone();
      if h.deliver(frame).is_ok() {
        return Posted::Delivered;
      }
      // The holder is gone: its ends close, this frame with them.
      drop_holder(g, &h);
      Posted::Dropped
    }
    None => {
      e.parked.push_back(frame);
      Posted::Parked
    }
  }
}

fn drop_holder(g: &mut Inner, holder: &Arc<dyn Holder>) {
  let held: Vec<EndId> = g
    .ends
    .iter()
    .filter(|(_, e)| e.holder.as_ref().is_some_and(|h| same(h, holder)))
    .map(|(id, _)| *id)
    .collect();
  for id in &held {
    if let Some(e) = g.ends.get_mut(id) {
      e.holder = None;
    }
  }
  close_all(g, held);
}

/// Closes ends (and, transitively, the ends in the frames they drop).
fn close_all(g: &mut Inner, mut work: Vec<EndId>) {
  while let Some(end) = work.pop() {
    let Some(e) = g.ends.remove(&end) else {
      continue;
    };
    for f in e.parked {
      work.extend(carried(&f));
    }
    let Some(peer) = e.peer else { continue };
    if let Some(p) = g.ends.get_mut(&peer) {
      p.peer = None;
      let holder = p.holder.clone();
      match holder {
        Some(h) => {
          if h.deliver(close_frame(peer)).is_err() {
            // Its thread is gone too: close it as well.
            p.holder = None;
            work.push(peer);
          }
        }
        None => p.parked.push_back(close_frame(peer)),
      }
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::error::IpcError;

  /// A holder that records frames (`(kind, target, carried)`), or refuses them once dead.
  #[derive(Default)]
  struct Rec {
    frames: Mutex<Vec<Vec<u8>>>,
    dead: std::sync::atomic::AtomicBool,
  }

  impl Holder for Rec {
    fn deliver(&self, frame: Vec<u8>) -> Result<()> {
      if self.dead.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(IpcError::Disconnected);
      }
      self.frames.lock().unwrap().push(frame);
      Ok(())
    }

    fn take_for(&self, end: EndId) -> Vec<Vec<u8>> {
      let mut v = self.frames.lock().unwrap();
      let (mine, rest): (Vec<_>, Vec<_>) = v.drain(..).partition(|f| target(f) == Some(end));
      *v = rest;
      mine
    }
  }

  fn rec() -> Arc<Rec> {
    Arc::new(Rec::default())
  }

  fn as_holder(r: &Arc<Rec>) -> Arc<dyn Holder> {
    r.clone()
  }

  /// `(kind, target, message)` of every frame `r` holds.
  fn seen(r: &Rec) -> Vec<(u8, EndId, Vec<u8>)> {
    r.frames
      .lock()
      .unwrap()
      .iter()
      .map(|f| {
        let (fr, _) = wire::parse(f, wire::DEFAULT_MAX_FRAME).unwrap().unwrap();
        let n = carried(f).len();
        let msg = if fr.kind == kind::PORT_MESSAGE {
          fr.payload[4 + 4 * n..].to_vec()
        } else {
          vec![]
        };
        (fr.kind, fr.request, msg)
      })
      .collect()
  }

  fn msg(text: &str) -> Vec<u8> {
    message_frame(1, &[], text.as_bytes())
  }

  #[test]
  fn a_posted_frame_goes_to_the_peers_holder() {
    let t = PortTable::default();
    let (a, b) = t.entangle();
    let r = rec();
    t.claim(b, as_holder(&r));
    assert_eq!(t.post(a, msg("hi")), Posted::Delivered);
    assert_eq!(seen(&r), vec![(kind::PORT_MESSAGE, b, b"hi".to_vec())]);
  }

  #[test]
  fn frames_park_until_claimed_and_keep_their_order() {
    let t = PortTable::default();
    let (a, b) = t.entangle();
    assert_eq!(t.post(a, msg("1")), Posted::Parked);
    assert_eq!(t.post(a, msg("2")), Posted::Parked);
    let r = rec();
    t.claim(b, as_holder(&r));
    t.post(a, msg("3"));
    let got: Vec<_> = seen(&r).into_iter().map(|(_, _, m)| m).collect();
    assert_eq!(got, vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
  }

  #[test]
  fn a_released_end_takes_back_undelivered_frames_in_order() {
    let t = PortTable::default();
    let (a, b) = t.entangle();
    let first = rec();
    t.claim(b, as_holder(&first));
    t.post(a, msg("queued at the first holder"));
    // The first thread had drained one more frame it did not dispatch.
    t.release(
      b,
      vec![{
        let mut f = msg("drained, not dispatched");
        set_target(&mut f, b);
        f
      }],
    );
    t.post(a, msg("posted in transit"));
    assert!(seen(&first).is_empty());
    let second = rec();
    t.claim(b, as_holder(&second));
    let got: Vec<_> = seen(&second).into_iter().map(|(_, _, m)| m).collect();
    assert_eq!(
      got,
      vec![
        b"drained, not dispatched".to_vec(),
        b"queued at the first holder".to_vec(),
        b"posted in transit".to_vec()
      ]
    );
  }

  #[test]
  fn closing_an_end_tells_its_peer_once() {
    let t = PortTable::default();
    let (a, b) = t.entangle();
    let r = rec();
    t.claim(b, as_holder(&r));
    t.close(a);
    t.close(a);
    assert_eq!(seen(&r), vec![(kind::PORT_CLOSE, b, vec![])]);
    assert_eq!(t.post(b, msg("to nobody")), Posted::Dropped);
    assert!(!t.is_open(a));
    t.close(b);
    assert!(t.is_empty());
  }

  #[test]
  fn a_close_waits_parked_behind_the_messages_before_it() {
    let t = PortTable::default();
    let (a, b) = t.entangle();
    t.post(a, msg("last words"));
    t.close(a);
    let r = rec();
    t.claim(b, as_holder(&r));
    let kinds: Vec<_> = seen(&r).into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(kinds, vec![kind::PORT_MESSAGE, kind::PORT_CLOSE]);
  }

  #[test]
  fn claiming_a_closed_end_delivers_its_close() {
    let t = PortTable::default();
    let r = rec();
    t.claim(77, as_holder(&r));
    assert_eq!(seen(&r), vec![(kind::PORT_CLOSE, 77, vec![])]);
  }

  #[test]
  fn a_holder_that_goes_away_closes_its_ends() {
    let t = PortTable::default();
    let (a, b) = t.entangle();
    let (c, d) = t.entangle();
    let dying = rec();
    let other = rec();
    t.claim(a, as_holder(&dying));
    t.claim(c, as_holder(&dying));
    t.claim(b, as_holder(&other));
    t.claim(d, as_holder(&other));
    t.holder_gone(&as_holder(&dying));
    let mut closed: Vec<_> = seen(&other).into_iter().map(|(k, e, _)| (k, e)).collect();
    closed.sort();
    assert_eq!(closed, vec![(kind::PORT_CLOSE, b), (kind::PORT_CLOSE, d)]);
    assert!(!t.is_open(a) && !t.is_open(c));
  }

  #[test]
  fn a_dead_holder_found_on_delivery_closes_its_ends() {
    let t = PortTable::default();
    let (a, b) = t.entangle();
    let dying = rec();
    let other = rec();
    t.claim(b, as_holder(&dying));
    t.claim(a, as_holder(&other));
    dying.dead.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(t.post(a, msg("x")), Posted::Dropped);
    assert_eq!(seen(&other), vec![(kind::PORT_CLOSE, a, vec![])]);
  }

  #[test]
  fn ends_inside_frames_that_reach_nobody_are_closed() {
    let t = PortTable::default();
    let (a, b) = t.entangle();
    let (c, d) = t.entangle();
    let r = rec();
    t.claim(c, as_holder(&r));
    // d rides a message parked at b; then b's side closes: d is closed, c told.
    t.post(a, message_frame(1, &[d], b"carrier"));
    t.close(b);
    assert_eq!(seen(&r), vec![(kind::PORT_CLOSE, c, vec![])]);
    // Posting with an end to a closed peer closes that end too.
    let (e, f) = t.entangle();
    let r2 = rec();
    t.claim(e, as_holder(&r2));
    assert_eq!(t.post(a, message_frame(1, &[f], b"")), Posted::Dropped);
    assert_eq!(seen(&r2), vec![(kind::PORT_CLOSE, e, vec![])]);
  }

  #[test]
  fn the_port_list_round_trips() {
    let f = message_frame(2, &[5, 6, 7], b"payload");
    assert_eq!(carried(&f), vec![5, 6, 7]);
    assert!(carried(&msg("none")).is_empty());
    assert!(carried(&close_frame(1)).is_empty());
    assert!(carried(&[0u8; 3]).is_empty());
  }
}
