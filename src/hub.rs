//! Hubs and the renderers attached to them.
//!
//! A [`Hub`] is the Rust half of one `IpcMain`: its inbox (one FIFO for every
//! renderer's sends, sync requests, invokes, connects and disconnects), the
//! table of attached renderers (each link holds that renderer's own inbox, so
//! main -> renderer frames and invoke results go straight there), and the
//! slots that blocked `sendSync` callers wait on.
//!
//! Hubs are found by id through one process-wide table holding weak
//! references, so a worker thread can attach to its main's hub without
//! keeping it alive. Nothing here touches JavaScript.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use crate::error::{IpcError, Result};
use crate::queue::{Doorbell, Inbox};
use crate::wire;

static HUBS: LazyLock<Mutex<HashMap<u64, Weak<Hub>>>> = LazyLock::new(Default::default);
static NEXT_HUB: AtomicU64 = AtomicU64::new(1);
/// Renderer (WebContents) ids: unique in the process, so ids of renderers of
/// different hubs never collide.
static NEXT_RENDERER: AtomicU32 = AtomicU32::new(1);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
  // Critical sections below are plain map operations that cannot leave the
  // data half-updated, so a poisoned lock is still consistent.
  m.lock().unwrap_or_else(|p| p.into_inner())
}

static EXPECTED_WORKERS: LazyLock<Mutex<HashMap<u64, (u64, String)>>> =
  LazyLock::new(Default::default);
static NEXT_NONCE: AtomicU64 = AtomicU64::new(1);

/// Records that a worker about to start belongs to hub `hub` and runs
/// `entry`; the worker claims it with the returned one-time nonce.
pub fn expect_worker(hub: u64, entry: String) -> u64 {
  // Not a secret (threads of one process trust each other); it only pairs a
  // worker with the spawnWorker call that started it, once.
  let nonce = NEXT_NONCE.fetch_add(1, Ordering::Relaxed);
  lock(&EXPECTED_WORKERS).insert(nonce, (hub, entry));
  nonce
}

/// Claims a nonce from [`expect_worker`]: `(hub id, entry)`, at most once.
pub fn claim_worker(nonce: u64) -> Option<(u64, String)> {
  lock(&EXPECTED_WORKERS).remove(&nonce)
}

/// Forgets a nonce whose worker never claimed it (it failed to start).
pub fn forget_worker(nonce: u64) {
  lock(&EXPECTED_WORKERS).remove(&nonce);
}

/// Allocates a process-wide renderer id.
pub fn next_renderer_id() -> u32 {
  NEXT_RENDERER.fetch_add(1, Ordering::Relaxed)
}

/// The port ends carried by the `CODEC_PORTS` frames of a run of frames.
fn carried_in_run(run: &[u8]) -> Vec<crate::ports::EndId> {
  let mut ends = Vec::new();
  let mut rest = run;
  while let Ok(Some((f, n))) = wire::parse(rest, usize::MAX) {
    if f.codec == crate::ports::CODEC_PORTS {
      ends.extend(crate::ports::ipc_carried(&rest[..n]));
    }
    rest = &rest[n..];
  }
  ends
}

/// A renderer attached to a hub.
pub struct Link {
  /// The renderer's id (its WebContents id).
  pub renderer: u32,
  /// The renderer's own inbox: frames from main go here.
  pub inbox: Arc<Inbox>,
  /// A renderer in another process: the port relay of its connection.
  pub relay: Option<Arc<crate::ports::Relay>>,
}

/// Messages and bytes per frame kind, in (renderer -> main, through the
/// inbox) and out (main -> renderer, through a link): `ipcMain.stats()`.
#[derive(Default)]
pub struct Counters {
  msgs: [AtomicU64; 32],
  bytes: [AtomicU64; 32],
}

impl Counters {
  fn add(&self, frame: &[u8]) {
    if let Some(&k) = frame.get(4) {
      self.add_kind(k, frame.len());
    }
  }

  fn add_kind(&self, k: u8, bytes: usize) {
    let k = (k as usize).min(31);
    self.msgs[k].fetch_add(1, Ordering::Relaxed);
    self.bytes[k].fetch_add(bytes as u64, Ordering::Relaxed);
  }

  /// Counts every frame of a batch written back to back.
  fn add_all(&self, batch: &[u8]) {
    for (k, _, _, frame) in wire::frames(batch) {
      self.add_kind(k, frame.len());
    }
  }

  /// `(messages, bytes)` of frames of kind `k`.
  pub fn of(&self, k: u8) -> (u64, u64) {
    let k = (k as usize).min(31);
    (
      self.msgs[k].load(Ordering::Relaxed),
      self.bytes[k].load(Ordering::Relaxed),
    )
  }
}

/// The Rust half of one `IpcMain`.
pub struct Hub {
  id: u64,
  /// Frames that came in, per kind.
  pub counted_in: Counters,
  /// Frames sent to renderers, per kind.
  pub counted_out: Counters,
  /// Everything renderers send to main, in one order.
  pub inbox: Inbox,
  links: Mutex<HashMap<u32, Arc<Link>>>,
  syncs: Mutex<HashMap<(u32, u32), Arc<SyncSlot>>>,
  closed: AtomicBool,
}

impl Hub {
  /// Makes a hub whose inbox rings `bell`, and registers it process-wide.
  pub fn new(bell: Box<dyn Doorbell>) -> Arc<Hub> {
    let id = NEXT_HUB.fetch_add(1, Ordering::Relaxed);
    let hub = Arc::new(Hub {
      id,
      inbox: Inbox::new(bell),
      counted_in: Counters::default(),
      counted_out: Counters::default(),
      links: Mutex::default(),
      syncs: Mutex::default(),
      closed: AtomicBool::new(false),
    });
    lock(&HUBS).insert(id, Arc::downgrade(&hub));
    hub
  }

  /// Finds a live hub by id.
  ///
  /// # Errors
  /// [`IpcError::NoHub`] if it never existed, was dropped or closed.
  pub fn find(id: u64) -> Result<Arc<Hub>> {
    lock(&HUBS)
      .get(&id)
      .and_then(Weak::upgrade)
      .filter(|h| !h.is_closed())
      .ok_or(IpcError::NoHub(id))
  }

  /// This hub's process-wide id.
  pub fn id(&self) -> u64 {
    self.id
  }

  /// Whether [`close`](Self::close) ran.
  pub fn is_closed(&self) -> bool {
    self.closed.load(Ordering::Acquire)
  }

  /// Attaches a renderer whose inbox is `inbox`, under a fresh id.
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] once the hub is closed.
  pub fn attach(&self, inbox: Arc<Inbox>) -> Result<u32> {
    let renderer = next_renderer_id();
    let mut links = lock(&self.links);
    if self.is_closed() {
      return Err(IpcError::Disconnected);
    }
    links.insert(
      renderer,
      Arc::new(Link {
        renderer,
        inbox,
        relay: None,
      }),
    );
    Ok(renderer)
  }

  /// Attaches a renderer of another process whose outbox is `out`, with
  /// the port relay of its connection.
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] once the hub is closed.
  pub fn attach_socket(
    &self,
    out: Arc<Inbox>,
    max_frame: usize,
  ) -> Result<(u32, Arc<crate::ports::Relay>)> {
    let renderer = next_renderer_id();
    let relay = crate::ports::Relay::new(renderer, out.clone(), max_frame);
    let mut links = lock(&self.links);
    if self.is_closed() {
      return Err(IpcError::Disconnected);
    }
    links.insert(
      renderer,
      Arc::new(Link {
        renderer,
        inbox: out,
        relay: Some(relay.clone()),
      }),
    );
    Ok((renderer, relay))
  }

  /// Detaches a renderer; its blocked `sendSync`, if any, fails with
  /// [`IpcError::Disconnected`].
  pub fn detach(&self, renderer: u32) -> Option<Arc<Link>> {
    let link = lock(&self.links).remove(&renderer);
    let waiting: Vec<_> = {
      let mut syncs = lock(&self.syncs);
      let keys: Vec<_> = syncs.keys().filter(|k| k.0 == renderer).copied().collect();
      keys.into_iter().filter_map(|k| syncs.remove(&k)).collect()
    };
    for slot in waiting {
      slot.fill(Err(IpcError::Disconnected));
    }
    link
  }

  /// Whether `renderer` is attached.
  pub fn has_renderer(&self, renderer: u32) -> bool {
    lock(&self.links).contains_key(&renderer)
  }

  /// How many renderers are attached.
  pub fn renderer_count(&self) -> usize {
    lock(&self.links).len()
  }

  /// Queues a frame from a renderer for main.
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] when the hub is closed.
  pub fn push(&self, frame: Vec<u8>) -> Result<()> {
    self.counted_in.add(&frame);
    self.inbox.push(frame)
  }

  /// Queues a frame from a renderer for main without ringing; see
  /// [`Inbox::push_quiet`].
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] when the hub is closed.
  pub fn push_quiet(&self, frame: Vec<u8>) -> Result<()> {
    self.counted_in.add(&frame);
    self.inbox.push_quiet(frame)
  }

  /// Queues several whole frames written back to back (one renderer's
  /// burst, encoded in JS) as one entry, without ringing; see
  /// [`push_quiet`](Self::push_quiet).
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] when the hub is closed.
  pub fn push_batch_quiet(&self, batch: Vec<u8>) -> Result<()> {
    self.counted_in.add_all(&batch);
    self.inbox.push_quiet(batch)
  }

  /// As [`push_batch_quiet`](Self::push_batch_quiet), ringing at once (a
  /// `sendSync` is about to block for its answer).
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] when the hub is closed.
  pub fn push_batch(&self, batch: Vec<u8>) -> Result<()> {
    self.counted_in.add_all(&batch);
    self.inbox.push(batch)
  }

  /// Queues main's frames written back to back (each for the renderer its
  /// header names) without ringing, one inbox entry per run of frames for
  /// the same renderer. Frames for a renderer that is gone are dropped (a
  /// reply to a renderer that left is a no-op). The renderers queued for
  /// are added to `touched`, for [`flush_renderer`](Self::flush_renderer).
  pub fn send_batch(&self, batch: &[u8], touched: &mut Vec<u32>) {
    for (renderer, run) in crate::route::runs_by_renderer(batch) {
      let link = lock(&self.links).get(&renderer).cloned();
      let Some(l) = link else { continue };
      self.counted_out.add_all(run);
      // Port ends in ipc messages to another process: its relay holds them
      // once they are queued (what was posted to them follows).
      let shipped = match &l.relay {
        Some(_) => carried_in_run(run),
        None => Vec::new(),
      };
      if l.inbox.push_quiet(run.to_vec()).is_err() {
        for e in shipped {
          crate::ports::table().close(e);
        }
        continue;
      }
      if let (Some(r), false) = (&l.relay, shipped.is_empty()) {
        r.ship_out(&shipped);
      }
      if !touched.contains(&renderer) {
        touched.push(renderer);
      }
    }
  }

  /// Queues a frame for one renderer without ringing its doorbell: the
  /// caller rings once for a burst with [`flush_renderer`](Self::flush_renderer).
  ///
  /// # Errors
  /// [`IpcError::NoRenderer`] if it is not attached (or its inbox closed).
  pub fn send_to(&self, renderer: u32, frame: Vec<u8>) -> Result<()> {
    let link = lock(&self.links).get(&renderer).cloned();
    match link {
      Some(l) => {
        self.counted_out.add(&frame);
        // Port ends in an ipc message to another process: its relay holds
        // them once the message is queued (what was posted to them follows).
        let shipped = match &l.relay {
          Some(_) => crate::ports::ipc_carried(&frame),
          None => Vec::new(),
        };
        if l.inbox.push_quiet(frame).is_err() {
          for e in shipped {
            crate::ports::table().close(e);
          }
          return Err(IpcError::NoRenderer(renderer));
        }
        if let (Some(r), false) = (&l.relay, shipped.is_empty()) {
          r.ship_out(&shipped);
        }
        Ok(())
      }
      None => Err(IpcError::NoRenderer(renderer)),
    }
  }

  /// Rings a renderer's doorbell for frames [`send_to`](Self::send_to)
  /// queued; nothing if it is gone.
  pub fn flush_renderer(&self, renderer: u32) {
    let link = lock(&self.links).get(&renderer).cloned();
    if let Some(l) = link {
      let _ = l.inbox.flush();
    }
  }

  /// Registers the slot a blocking `sendSync` from `renderer` waits on.
  ///
  /// # Errors
  /// [`IpcError::Disconnected`] once the hub is closed or the renderer gone.
  pub fn begin_sync(&self, renderer: u32, request: u32) -> Result<Arc<SyncSlot>> {
    let slot = Arc::new(SyncSlot::default());
    let mut syncs = lock(&self.syncs);
    if self.is_closed() || !self.has_renderer(renderer) {
      return Err(IpcError::Disconnected);
    }
    syncs.insert((renderer, request), slot.clone());
    Ok(slot)
  }

  /// Answers a blocked `sendSync`.
  ///
  /// # Returns
  /// `false` if nobody waits for it any more.
  pub fn complete_sync(&self, renderer: u32, request: u32, reply: Result<Vec<u8>>) -> bool {
    if let Ok(r) = &reply {
      // Straight into the waiter's slot, not through a link: counted here.
      self.counted_out.add_kind(wire::kind::SYNC_REPLY, r.len());
    }
    let slot = lock(&self.syncs).remove(&(renderer, request));
    slot.is_some_and(|s| s.fill(reply))
  }

  /// Forgets a sync slot whose waiter gave up.
  pub fn abandon_sync(&self, renderer: u32, request: u32) {
    lock(&self.syncs).remove(&(renderer, request));
  }

  /// Closes the hub: no new renderers or frames; every renderer gets a
  /// `CLOSED` frame; every blocked `sendSync` wakes with `Disconnected`.
  pub fn close(&self) {
    if self.closed.swap(true, Ordering::AcqRel) {
      return;
    }
    self.inbox.close();
    let links: Vec<_> = lock(&self.links).drain().map(|(_, l)| l).collect();
    for link in links {
      let frame = wire::encode(wire::kind::CLOSED, 0, link.renderer, 0, b"", b"");
      let _ = link.inbox.push(frame);
    }
    let slots: Vec<_> = lock(&self.syncs).drain().map(|(_, s)| s).collect();
    for slot in slots {
      slot.fill(Err(IpcError::Disconnected));
    }
    lock(&HUBS).remove(&self.id);
  }
}

impl Drop for Hub {
  fn drop(&mut self) {
    lock(&HUBS).remove(&self.id);
  }
}

/// Whether this process may run on more than one CPU (read once: the
/// affinity mask, which `taskset` narrows).
static SPIN_HELPS: LazyLock<bool> =
  LazyLock::new(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1));

/// A one-shot answer a blocked `sendSync` waits for.
#[derive(Default)]
pub struct SyncSlot {
  ready: AtomicBool,
  value: Mutex<Option<Result<Vec<u8>>>>,
  cv: Condvar,
}

impl SyncSlot {
  /// Stores the answer; the first one wins.
  ///
  /// # Returns
  /// `true` if this call stored it.
  pub fn fill(&self, v: Result<Vec<u8>>) -> bool {
    {
      let mut value = lock(&self.value);
      if value.is_some() || self.ready.load(Ordering::Acquire) {
        return false;
      }
      *value = Some(v);
      self.ready.store(true, Ordering::Release);
    }
    // Woken after the lock is dropped: a waiter woken while it is held
    // (on one CPU it often runs at once) would block on it and hand the
    // CPU straight back, two context switches for nothing.
    self.cv.notify_all();
    true
  }

  /// Blocks until the answer comes. Spins for `spin` first: a reply that
  /// comes within microseconds is then taken without the cost of parking and
  /// being woken (measured: parking at once is slower than `Atomics.wait`).
  /// Only where another CPU can run the thread that answers: on one CPU
  /// (a process pinned with `taskset`) a spin only delays it, so the wait
  /// parks at once, as `Atomics.wait` does.
  pub fn wait(&self, spin: Duration) -> Result<Vec<u8>> {
    let spin = if *SPIN_HELPS { spin } else { Duration::ZERO };
    let start = Instant::now();
    let mut i = 0u32;
    while !self.ready.load(Ordering::Acquire) && start.elapsed() < spin {
      i = i.wrapping_add(1);
      if i.is_multiple_of(64) {
        std::thread::yield_now();
      } else {
        std::hint::spin_loop();
      }
    }
    let mut value = lock(&self.value);
    loop {
      if let Some(v) = value.take() {
        return v;
      }
      value = self.cv.wait(value).unwrap_or_else(|p| p.into_inner());
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use crate::queue::tests::Counter;

  fn hub() -> Arc<Hub> {
    Hub::new(Box::new(Arc::new(Counter::default())))
  }

  fn inbox() -> Arc<Inbox> {
    Arc::new(Inbox::new(Box::new(Arc::new(Counter::default()))))
  }

  #[test]
  fn hubs_are_found_by_id_until_closed_or_dropped() {
    let h = hub();
    let id = h.id();
    assert!(Arc::ptr_eq(&Hub::find(id).unwrap(), &h));
    h.close();
    assert_eq!(Hub::find(id).err(), Some(IpcError::NoHub(id)));
    let h2 = hub();
    let id2 = h2.id();
    drop(h2);
    assert!(Hub::find(id2).is_err());
  }

  #[test]
  fn frames_reach_the_right_renderer_and_unknown_ones_are_refused() {
    let h = hub();
    let (a, b) = (inbox(), inbox());
    let ra = h.attach(a.clone()).unwrap();
    let rb = h.attach(b.clone()).unwrap();
    assert_ne!(ra, rb);
    h.send_to(rb, vec![1, 2]).unwrap();
    assert_eq!((a.depth().frames, b.depth().frames), (0, 1));
    h.flush_renderer(rb);
    h.flush_renderer(ra);
    h.detach(rb);
    assert_eq!(h.send_to(rb, vec![3]), Err(IpcError::NoRenderer(rb)));
  }

  #[test]
  fn a_sync_wait_gets_the_first_reply_across_threads() {
    let h = hub();
    let r = h.attach(inbox()).unwrap();
    let slot = h.begin_sync(r, 9).unwrap();
    let h2 = h.clone();
    let t = std::thread::spawn(move || {
      std::thread::sleep(Duration::from_millis(20));
      assert!(h2.complete_sync(r, 9, Ok(vec![42])));
      assert!(
        !h2.complete_sync(r, 9, Ok(vec![43])),
        "second reply ignored"
      );
    });
    assert_eq!(slot.wait(Duration::from_micros(50)), Ok(vec![42]));
    t.join().unwrap();
  }

  #[test]
  fn closing_the_hub_wakes_sync_waiters_and_tells_renderers() {
    let h = hub();
    let ib = inbox();
    let r = h.attach(ib.clone()).unwrap();
    let slot = h.begin_sync(r, 1).unwrap();
    let h2 = h.clone();
    let t = std::thread::spawn(move || slot.wait(Duration::ZERO));
    std::thread::sleep(Duration::from_millis(10));
    h2.close();
    assert_eq!(t.join().unwrap(), Err(IpcError::Disconnected));
    let mut out = Vec::new();
    ib.drain_into(&mut out, 10, usize::MAX);
    let (f, _) = wire::parse(&out, 1 << 20).unwrap().unwrap();
    assert_eq!(f.kind, wire::kind::CLOSED);
    assert_eq!(h.push(vec![1]), Err(IpcError::Disconnected));
    assert_eq!(h.attach(inbox()).err(), Some(IpcError::Disconnected));
  }

  #[test]
  fn frames_are_counted_per_kind_and_direction() {
    let h = hub();
    let r = h.attach(inbox()).unwrap();
    h.push(wire::encode(wire::kind::SEND, 1, r, 0, b"ch", b"[1]"))
      .unwrap();
    h.push_quiet(wire::encode(wire::kind::SEND, 1, r, 0, b"ch", b"[22]"))
      .unwrap();
    h.push(wire::encode(wire::kind::INVOKE, 1, r, 1, b"ch", b""))
      .unwrap();
    h.send_to(r, wire::encode(wire::kind::RESULT_OK, 1, r, 1, b"", b"[3]"))
      .unwrap();
    assert!(h
      .send_to(
        r + 100,
        wire::encode(wire::kind::MESSAGE, 1, r, 0, b"", b"")
      )
      .is_err());
    let header = wire::HEADER_LEN as u64;
    assert_eq!(
      h.counted_in.of(wire::kind::SEND),
      (2, 2 * (header + 2) + 3 + 4)
    );
    assert_eq!(h.counted_in.of(wire::kind::INVOKE), (1, header + 2));
    assert_eq!(h.counted_out.of(wire::kind::RESULT_OK), (1, header + 3));
    assert_eq!(
      h.counted_out.of(wire::kind::MESSAGE),
      (0, 0),
      "not sent, not counted"
    );
  }

  #[test]
  fn a_worker_nonce_is_claimed_once() {
    let n = expect_worker(5, "/w.js".into());
    assert_eq!(claim_worker(n), Some((5, "/w.js".to_owned())));
    assert_eq!(claim_worker(n), None);
    let m = expect_worker(6, String::new());
    forget_worker(m);
    assert_eq!(claim_worker(m), None);
  }

  #[test]
  fn detaching_a_renderer_fails_only_its_sync_waits() {
    let h = hub();
    let (ra, rb) = (h.attach(inbox()).unwrap(), h.attach(inbox()).unwrap());
    let sa = h.begin_sync(ra, 1).unwrap();
    let sb = h.begin_sync(rb, 1).unwrap();
    h.detach(ra);
    assert_eq!(sa.wait(Duration::ZERO), Err(IpcError::Disconnected));
    assert!(h.complete_sync(rb, 1, Ok(vec![7])));
    assert_eq!(sb.wait(Duration::ZERO), Ok(vec![7]));
  }
}
