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

/// The payload codec of an ipc message (not a port frame) that carries
/// port ends: `u32` count, the ids, the inner codec byte, the inner payload
/// (lib/ports.js `CODEC_PORTS`).
pub const CODEC_PORTS: u8 = 5;

/// The ends an ipc message frame with [`CODEC_PORTS`] carries.
pub fn ipc_carried(frame: &[u8]) -> Vec<EndId> {
  let Ok(Some((f, _))) = wire::parse(frame, usize::MAX) else {
    return Vec::new();
  };
  if f.codec != CODEC_PORTS || is_port_frame(frame) || f.payload.len() < 4 {
    return Vec::new();
  }
  let p = f.payload;
  let n = u32::from_le_bytes([p[0], p[1], p[2], p[3]]) as usize;
  p[4..]
    .chunks_exact(4)
    .take(n)
    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    .collect()
}

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

  /// Wakes the holder's thread for what [`deliver`](Self::deliver) queued.
  /// The table queues under its lock and wakes after releasing it: a
  /// woken thread that preempts the poster (one CPU) and posts back at once
  /// then never blocks on the table's lock, held by the thread it preempted.
  fn wake(&self) {}

  /// Takes back the frames for `end` queued here and not delivered yet,
  /// oldest first (the end is leaving this holder).
  fn take_for(&self, end: EndId) -> Vec<Vec<u8>>;

  /// Whether this holder relays its ends' frames to another process (a
  /// [`Relay`]): the ends a frame it takes carries become its ends too
  /// (they cross with the frame), and an end whose `PORT_CLOSE` it takes is
  /// done here (the other process closes its side).
  fn relays(&self) -> bool {
    false
  }
}

/// A thread's inbox holds ends: frames are pushed (and rung) as they come.
impl Holder for crate::queue::Inbox {
  fn deliver(&self, frame: Vec<u8>) -> Result<()> {
    self.push_quiet(frame)
  }

  fn wake(&self) {
    let _ = self.flush();
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
  /// Holders given frames under the lock, woken once it is released.
  wake: Vec<Arc<dyn Holder>>,
}

/// The table's lock; releasing it wakes the holders given frames meanwhile.
struct Locked<'a>(Option<MutexGuard<'a, Inner>>);

impl std::ops::Deref for Locked<'_> {
  type Target = Inner;
  fn deref(&self) -> &Inner {
    self.0.as_ref().expect("held until dropped")
  }
}

impl std::ops::DerefMut for Locked<'_> {
  fn deref_mut(&mut self) -> &mut Inner {
    self.0.as_mut().expect("held until dropped")
  }
}

impl Drop for Locked<'_> {
  fn drop(&mut self) {
    let Some(mut g) = self.0.take() else { return };
    let wake = std::mem::take(&mut g.wake);
    drop(g);
    for h in wake {
      h.wake();
    }
  }
}

/// `holder` was given a frame: wake it once the lock is released.
fn note_wake(g: &mut Inner, holder: &Arc<dyn Holder>) {
  if !g.wake.iter().any(|h| same(h, holder)) {
    g.wake.push(holder.clone());
  }
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
  fn lock(&self) -> Locked<'_> {
    // Every critical section leaves the map consistent.
    Locked(Some(self.inner.lock().unwrap_or_else(|p| p.into_inner())))
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
    claim_locked(&mut g, end, &holder);
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

fn claim_locked(g: &mut Inner, end: EndId, holder: &Arc<dyn Holder>) {
  let Some(e) = g.ends.get_mut(&end) else {
    if holder.deliver(close_frame(end)).is_ok() {
      note_wake(g, holder);
    }
    return;
  };
  let parked = std::mem::take(&mut e.parked);
  e.holder = Some(holder.clone());
  for f in parked {
    if hand(g, holder, f).is_err() {
      drop_holder(g, holder);
      return;
    }
  }
}

/// Gives `frame` to `holder`; a relay also takes the ends it carries
/// (after the frame, so what was parked for them follows it), and is done
/// with an end whose close it took.
fn hand(g: &mut Inner, holder: &Arc<dyn Holder>, frame: Vec<u8>) -> Result<()> {
  if !holder.relays() {
    holder.deliver(frame)?;
    note_wake(g, holder);
    return Ok(());
  }
  let carried = carried(&frame);
  let closed = (frame.len() >= HEADER_LEN && frame[4] == kind::PORT_CLOSE)
    .then(|| target(&frame))
    .flatten();
  holder.deliver(frame)?;
  note_wake(g, holder);
  for end in carried {
    claim_locked(g, end, holder);
  }
  if let Some(end) = closed {
    // Peerless already: nothing more to tell anyone.
    g.ends.remove(&end);
  }
  Ok(())
}

/// Queues `frame` at `end` (its holder, or parked).
fn route(g: &mut Inner, end: EndId, frame: Vec<u8>) -> Posted {
  let Some(e) = g.ends.get_mut(&end) else {
    return Posted::Dropped;
  };
  match &e.holder {
    Some(h) => {
      let h = h.clone();
      if hand(g, &h, frame).is_ok() {
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
          } else {
            note_wake(g, &h);
            if h.relays() {
              // Told the other process; the end is done here.
              g.ends.remove(&peer);
            }
          }
        }
        None => p.parked.push_back(close_frame(peer)),
      }
    }
  }
}

// ---------------------------------------------------------------- relays
//
// A child process has its own table; its ends cross the socket through
// *gateways* (lib/ports.js `PortLink` on the child's side). On main's side
// the connection itself is the holder of its gateway ends: a [`Relay`].
// Two kinds of gateway end: one of main's ends shipped to the child (the
// child names it by main's id), and the *twin* `T` of an end the child
// shipped to main (main made a pair `(L, T)`; `L` went on to whoever got
// it; `T` remembers the child's id). On the socket a port frame's
// `request` names its target in the sender's namespace (channel `""`) or
// the receiver's (channel `"="`); its payload is the carried ids (sender's
// namespace), then the message.

/// Port frames relays moved (either way) without main's JS: `stats()`.
static RELAYED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many port frames relays moved between a child's socket and the table.
pub fn relayed() -> u64 {
  RELAYED.load(std::sync::atomic::Ordering::Relaxed)
}

fn count_relayed() {
  RELAYED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

#[derive(Default)]
struct Gates {
  /// Main's ends shipped to the child.
  outs: std::collections::HashSet<EndId>,
  /// Twin -> the child's id it stands for.
  twin_of: HashMap<EndId, EndId>,
  /// The child's id -> its twin.
  twins: HashMap<EndId, EndId>,
}

/// One child connection's port relay on main's side: the holder of its
/// gateway ends, whose frames it queues on the connection's outbox; and
/// the reader of the port frames that come from the child, which it routes
/// through the table (no JS anywhere).
pub struct Relay {
  renderer: u32,
  max_frame: usize,
  out: Arc<crate::queue::Inbox>,
  gates: Mutex<Gates>,
  table: &'static PortTable,
  dead: std::sync::atomic::AtomicBool,
}

impl Relay {
  /// The relay of renderer `renderer`, whose frames go to `out`; a frame
  /// over `max_frame` (what the child reads) is dropped with a logged line.
  pub fn new(renderer: u32, out: Arc<crate::queue::Inbox>, max_frame: usize) -> Arc<Relay> {
    Relay::with_table(renderer, out, max_frame, table())
  }

  /// As [`new`](Self::new), over another table (tests).
  pub fn with_table(
    renderer: u32,
    out: Arc<crate::queue::Inbox>,
    max_frame: usize,
    table: &'static PortTable,
  ) -> Arc<Relay> {
    Arc::new(Relay {
      renderer,
      max_frame,
      out,
      gates: Mutex::default(),
      table,
      dead: std::sync::atomic::AtomicBool::new(false),
    })
  }

  fn gates(&self) -> MutexGuard<'_, Gates> {
    self.gates.lock().unwrap_or_else(|p| p.into_inner())
  }

  fn holder(self: &Arc<Self>) -> Arc<dyn Holder> {
    self.clone()
  }

  /// Main's ends `ends` were just queued for the child (in an ipc message
  /// on this connection's outbox): they are held here from now on, so what
  /// was posted to them follows that message.
  pub fn ship_out(self: &Arc<Self>, ends: &[EndId]) {
    {
      let mut g = self.gates();
      g.outs.extend(ends.iter().copied());
    }
    for &e in ends {
      self.table.claim(e, self.holder());
    }
  }

  /// The child shipped its end `remote`: main's end for it (the other of a
  /// fresh pair whose twin this relay holds).
  pub fn adopt(self: &Arc<Self>, remote: EndId) -> EndId {
    let (l, t) = self.table.entangle();
    {
      let mut g = self.gates();
      g.twin_of.insert(t, remote);
      g.twins.insert(remote, t);
    }
    self.table.claim(t, self.holder());
    l
  }

  /// Rewrites the carried ids of a `CODEC_PORTS` payload from the child
  /// (`u32` count, then the ids: the child's) into main's, in place.
  /// `false` if the list is malformed.
  pub fn adopt_in_payload(self: &Arc<Self>, payload: &mut [u8]) -> bool {
    let Some(n) = payload.get(..4) else {
      return false;
    };
    let n = u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize;
    if n > payload.len().saturating_sub(4) / 4 {
      return false;
    }
    for i in 0..n {
      let at = 4 + 4 * i;
      let r = u32::from_le_bytes([
        payload[at],
        payload[at + 1],
        payload[at + 2],
        payload[at + 3],
      ]);
      let l = self.adopt(r);
      payload[at..at + 4].copy_from_slice(&l.to_le_bytes());
    }
    true
  }

  /// A port frame from the child (`kind`, `codec`, `request`, `channel`,
  /// `payload` as on the socket): routed through the table.
  ///
  /// # Errors
  /// A malformed frame (nothing was routed).
  pub fn receive(
    self: &Arc<Self>,
    kind: u8,
    codec: u8,
    request: u32,
    channel: &str,
    payload: &[u8],
  ) -> std::result::Result<(), &'static str> {
    let from = {
      let g = self.gates();
      match channel {
        "=" => g
          .outs
          .contains(&request)
          .then_some(request)
          .or_else(|| g.twin_of.contains_key(&request).then_some(request)),
        "" => g.twins.get(&request).copied(),
        _ => return Err("a port frame with an unknown channel"),
      }
    };
    if kind == kind::PORT_CLOSE {
      if let Some(end) = from {
        self.forget(end);
        self.table.close(end);
      }
      count_relayed();
      return Ok(());
    }
    if kind != kind::PORT_MESSAGE {
      return Err("not a port frame");
    }
    if payload.len() < 4 {
      return Err("a port message without its port list");
    }
    let n = u32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]) as usize;
    if n > (payload.len() - 4) / 4 {
      return Err("a port list longer than its frame");
    }
    let ids: Vec<EndId> = payload[4..4 + 4 * n]
      .chunks_exact(4)
      .map(|c| self.adopt(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
      .collect();
    let Some(from) = from else {
      // For nobody: the ends it carried are closed (the child learns it).
      for id in ids {
        self.table.close(id);
      }
      return Ok(());
    };
    self
      .table
      .post(from, message_frame(codec, &ids, &payload[4 + 4 * n..]));
    count_relayed();
    Ok(())
  }

  fn forget(&self, end: EndId) {
    let mut g = self.gates();
    g.outs.remove(&end);
    if let Some(r) = g.twin_of.remove(&end) {
      g.twins.remove(&r);
    }
  }

  /// The connection is gone: every gateway end closes (their peers get
  /// 'close').
  pub fn gone(self: &Arc<Self>) {
    self.dead.store(true, std::sync::atomic::Ordering::SeqCst);
    self.table.holder_gone(&self.holder());
    *self.gates() = Gates::default();
  }

  /// Gateway ends held.
  #[cfg(test)]
  pub fn gateway_count(&self) -> usize {
    let g = self.gates();
    g.outs.len() + g.twin_of.len()
  }
}

impl Holder for Relay {
  /// A frame for one of this connection's gateway ends: it goes to the
  /// child, named as the child knows it.
  fn deliver(&self, frame: Vec<u8>) -> Result<()> {
    if self.dead.load(std::sync::atomic::Ordering::SeqCst) {
      return Err(crate::error::IpcError::Disconnected);
    }
    let Some(end) = target(&frame) else {
      return Ok(());
    };
    let k = frame[4];
    let (request, channel): (u32, &[u8]) = {
      let mut g = self.gates();
      let named = match g.twin_of.get(&end) {
        Some(&r) => (r, b"=".as_slice()),
        None => (end, b"".as_slice()),
      };
      if k == kind::PORT_CLOSE {
        g.outs.remove(&end);
        if let Some(r) = g.twin_of.remove(&end) {
          g.twins.remove(&r);
        }
      } else {
        // The ends it carries are main's, in transit: they cross with it.
        g.outs.extend(carried(&frame));
      }
      named
    };
    let ch = u32::from_le_bytes([frame[16], frame[17], frame[18], frame[19]]) as usize;
    let payload = frame.get(HEADER_LEN + ch..).unwrap_or(&[]);
    let out = wire::encode(k, frame[5], self.renderer, request, channel, payload);
    if out.len() > self.max_frame {
      // The child would end the connection: this message cannot go (there
      // is no caller to throw to). The ends it carried are lost with it.
      crate::log::line(format_args!(
        "dropped a port message for renderer #{}: {} bytes, over its frame limit of {}",
        self.renderer,
        out.len(),
        self.max_frame
      ));
      return Ok(());
    }
    self.out.push_quiet(out)?;
    count_relayed();
    Ok(())
  }

  fn wake(&self) {
    // Written on this thread, after the table's lock is released.
    let _ = self.out.flush();
  }

  fn take_for(&self, _end: EndId) -> Vec<Vec<u8>> {
    // Frames on the socket's outbox are the child's now.
    Vec::new()
  }

  fn relays(&self) -> bool {
    true
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

  struct Quiet;
  impl crate::queue::Doorbell for Quiet {
    fn ring(&self) -> Result<()> {
      Ok(())
    }
  }

  /// A relay over its own table, and the frames it queued for the child.
  fn relay() -> (&'static PortTable, Arc<Relay>, Arc<crate::queue::Inbox>) {
    let t: &'static PortTable = Box::leak(Box::default());
    let out = Arc::new(crate::queue::Inbox::new(Box::new(Quiet)));
    (t, Relay::with_table(9, out.clone(), 1 << 20, t), out)
  }

  /// `(kind, request, channel, carried, message)` of one frame to the child.
  type Sent = (u8, u32, String, Vec<u32>, Vec<u8>);

  /// What went to the child.
  fn sent(out: &crate::queue::Inbox) -> Vec<Sent> {
    let mut buf = Vec::new();
    out.drain_into(&mut buf, usize::MAX, usize::MAX);
    let mut rest = &buf[..];
    let mut v = Vec::new();
    while let Ok(Some((f, n))) = wire::parse(rest, usize::MAX) {
      assert_eq!(f.renderer, 9);
      let (ids, msg) = if f.kind == kind::PORT_MESSAGE {
        let k = u32::from_le_bytes(f.payload[..4].try_into().unwrap()) as usize;
        let ids = f.payload[4..4 + 4 * k]
          .chunks_exact(4)
          .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
          .collect();
        (ids, f.payload[4 + 4 * k..].to_vec())
      } else {
        (vec![], vec![])
      };
      v.push((f.kind, f.request, f.channel.to_string(), ids, msg));
      rest = &rest[n..];
    }
    v
  }

  #[test]
  fn a_relay_routes_a_childs_frames_both_ways_without_anyone_else() {
    let (t, r, out) = relay();
    // Main ships its end `b` to the child; `a` stays with a thread.
    let (a, b) = t.entangle();
    let thread = rec();
    t.claim(a, as_holder(&thread));
    t.post(a, msg("parked for b"));
    r.ship_out(&[b]);
    // The child posts from b (named in main's namespace, channel '=').
    r.receive(
      kind::PORT_MESSAGE,
      1,
      b,
      "=",
      &port_payload(&[], b"from the child"),
    )
    .unwrap();
    assert_eq!(
      seen(&thread),
      vec![(kind::PORT_MESSAGE, a, b"from the child".to_vec())]
    );
    assert_eq!(
      sent(&out),
      vec![(
        kind::PORT_MESSAGE,
        b,
        String::new(),
        vec![],
        b"parked for b".to_vec()
      )]
    );
    // The child ships its end 70 with a message: main gets a fresh end for it,
    // whose frames go back as the child's 70 (channel '=').
    r.receive(
      kind::PORT_MESSAGE,
      1,
      b,
      "=",
      &port_payload(&[70], b"carrier"),
    )
    .unwrap();
    let got = thread.frames.lock().unwrap().last().cloned().unwrap();
    let [l] = carried(&got)[..] else { panic!() };
    t.claim(l, as_holder(&rec()));
    t.post(l, msg("to 70"));
    assert_eq!(
      sent(&out),
      vec![(
        kind::PORT_MESSAGE,
        70,
        "=".to_string(),
        vec![],
        b"to 70".to_vec()
      )]
    );
    // A main end carried to the child becomes the relay's (its frames follow).
    let (c, d) = t.entangle();
    t.post(c, msg("for d"));
    t.post(a, message_frame(1, &[d], b"with d"));
    let s = sent(&out);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].3, vec![d]);
    assert_eq!((s[1].1, s[1].4.clone()), (d, b"for d".to_vec()));
    assert_eq!(r.gateway_count(), 3);
    // The peer closing: the child is told, the end is done on main's side.
    t.close(c);
    assert_eq!(
      sent(&out),
      vec![(kind::PORT_CLOSE, d, String::new(), vec![], vec![])]
    );
    assert!(!t.is_open(d));
    assert_eq!(r.gateway_count(), 2);
  }

  #[test]
  fn a_relay_that_is_gone_closes_every_end_it_held() {
    let (t, r, _out) = relay();
    let (a, b) = t.entangle();
    let thread = rec();
    t.claim(a, as_holder(&thread));
    r.ship_out(&[b]);
    r.gone();
    assert_eq!(seen(&thread), vec![(kind::PORT_CLOSE, a, vec![])]);
    assert!(t.is_empty() || !t.is_open(b));
    assert_eq!(t.post(a, msg("late")), Posted::Dropped);
  }

  #[test]
  fn a_relay_refuses_malformed_frames_and_names_nobody_it_does_not_hold() {
    let (t, r, out) = relay();
    assert!(r.receive(kind::PORT_MESSAGE, 1, 5, "", b"").is_err());
    assert!(r
      .receive(kind::PORT_MESSAGE, 1, 5, "", &[9, 0, 0, 0])
      .is_err());
    assert!(r
      .receive(kind::PORT_MESSAGE, 1, 5, "?", &port_payload(&[], b""))
      .is_err());
    // For nobody: the end it carried is closed, and the child is told.
    r.receive(kind::PORT_MESSAGE, 1, 5, "", &port_payload(&[44], b"x"))
      .unwrap();
    assert_eq!(
      sent(&out),
      vec![(kind::PORT_CLOSE, 44, "=".to_string(), vec![], vec![])]
    );
    assert!(t.is_empty());
  }

  /// A holder that checks, as it is woken, whether the table is unlocked.
  struct Waker {
    table: &'static PortTable,
    queued: Mutex<usize>,
    woken_unlocked: Mutex<Vec<bool>>,
  }

  impl Holder for Waker {
    fn deliver(&self, _frame: Vec<u8>) -> Result<()> {
      *self.queued.lock().unwrap() += 1;
      Ok(())
    }

    fn wake(&self) {
      let free = self.table.inner.try_lock().is_ok();
      self.woken_unlocked.lock().unwrap().push(free);
    }

    fn take_for(&self, _end: EndId) -> Vec<Vec<u8>> {
      Vec::new()
    }
  }

  #[test]
  fn holders_are_woken_once_per_call_after_the_lock_is_released() {
    let t: &'static PortTable = Box::leak(Box::default());
    let w = Arc::new(Waker {
      table: t,
      queued: Mutex::new(0),
      woken_unlocked: Mutex::new(Vec::new()),
    });
    let (a, b) = t.entangle();
    t.post(a, msg("parked 1"));
    t.post(a, msg("parked 2"));
    // The claim hands two parked frames over: one wake, lock released.
    t.claim(b, w.clone());
    t.post(a, msg("live"));
    t.close(a);
    assert_eq!(*w.queued.lock().unwrap(), 4);
    assert_eq!(*w.woken_unlocked.lock().unwrap(), vec![true, true, true]);
  }
}
