//! Message ports across threads: `NativePortHost` (one per JS thread that
//! holds port ends whose peers live on other threads: its own inbox and
//! doorbell, so ports never depend on a hub or a renderer being open) and
//! free functions over the process-wide table of `crate::ports`.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use super::doorbell::{SharedBell, TsfnBell};
use crate::ports::{self, EndId, Holder, Posted};
use crate::queue::Inbox;
use crate::wire;

/// This thread's holder of port ends.
#[napi]
pub struct NativePortHost {
  inbox: Arc<Inbox>,
  bell: Arc<TsfnBell>,
  taken: Vec<Vec<u8>>,
  closed: bool,
}

impl NativePortHost {
  fn holder(&self) -> Arc<dyn Holder> {
    self.inbox.clone()
  }

  fn shut(&mut self) {
    if std::mem::replace(&mut self.closed, true) {
      return;
    }
    self.inbox.close();
    ports::table().holder_gone(&self.holder());
    self.bell.keep_alive(false);
    self.bell.release();
    self.bell.shut();
  }
}

#[napi]
impl NativePortHost {
  /// A host whose doorbell calls `onDoorbell()` on this thread.
  #[napi(constructor, catch_unwind)]
  pub fn new(env: Env, on_doorbell: Function<'_, (), UnknownReturnValue>) -> Result<Self> {
    let bell = TsfnBell::new(&env, on_doorbell)?;
    let inbox = Arc::new(Inbox::new(Box::new(SharedBell(bell.clone()))));
    Ok(NativePortHost {
      inbox,
      bell,
      taken: Vec::new(),
      closed: false,
    })
  }

  /// Takes queued port frames, as `NativeHub.drain`.
  #[napi(catch_unwind)]
  pub fn drain<'env>(
    &mut self,
    env: &'env Env,
    max_frames: u32,
    max_bytes: u32,
    mut recv: BufferSlice<'_>,
  ) -> Result<super::Drained<'env>, super::Code> {
    let bell = &self.bell;
    super::drain_inbox(
      env,
      &self.inbox,
      &mut self.taken,
      max_frames,
      max_bytes,
      &mut recv,
      |_| {},
      || bell.release(),
    )
  }

  /// Holds end `end` here: what was parked for it comes first.
  #[napi(catch_unwind)]
  pub fn claim(&self, end: u32) {
    ports::table().claim(end as EndId, self.holder());
  }

  /// End `end` leaves this thread: `older` (frames back to back: what JS
  /// had received for it and not delivered) and what is still queued here
  /// for it wait for its next holder, in that order.
  #[napi(catch_unwind)]
  pub fn release(&self, end: u32, older: &[u8]) -> Result<()> {
    let mut frames = Vec::new();
    let mut rest = older;
    while !rest.is_empty() {
      match wire::parse(rest, u32::MAX as usize) {
        Ok(Some((_, n))) => {
          frames.push(rest[..n].to_vec());
          rest = &rest[n..];
        }
        _ => return Err(Error::new(Status::InvalidArg, "malformed port frames")),
      }
    }
    ports::table().release(end as EndId, frames);
    Ok(())
  }

  /// Closes every end held here (their peers get 'close'); idempotent.
  #[napi(catch_unwind)]
  pub fn close(&mut self) {
    self.shut();
  }
}

impl Drop for NativePortHost {
  /// The thread's env is torn down (worker exit or terminate): its ends close.
  fn drop(&mut self) {
    self.shut();
  }
}

/// A new entangled pair of ends, `[a, b]`, neither held yet.
#[napi(catch_unwind)]
pub fn port_entangle() -> Vec<u32> {
  let (a, b) = ports::table().entangle();
  vec![a, b]
}

fn post(from: u32, codec: u32, ends: &[u32], payload: &[u8]) -> u32 {
  let f = ports::message_frame(codec as u8, ends, payload);
  match ports::table().post(from as EndId, f) {
    Posted::Delivered => 1,
    Posted::Parked => 2,
    Posted::Dropped => 0,
  }
}

/// Posts a message (JSON payload) from end `from` to its peer, carrying
/// `ends`: 1 delivered, 2 parked (peer in transit), 0 dropped (closed).
#[napi(catch_unwind)]
pub fn port_post_str(from: u32, codec: u32, ends: Vec<u32>, payload: String) -> u32 {
  post(from, codec, &ends, payload.as_bytes())
}

/// As `portPostStr`, with an encoded byte payload.
#[napi(catch_unwind)]
pub fn port_post_bytes(from: u32, codec: u32, ends: Vec<u32>, payload: &[u8]) -> u32 {
  post(from, codec, &ends, payload)
}

/// Posts port frames written back to back by JS (each frame's `request` is
/// the sending end), in order; `false` if the batch is malformed (nothing
/// after the bad frame is posted).
#[napi(catch_unwind)]
pub fn port_post_frames(frames: &[u8]) -> bool {
  let mut rest = frames;
  while !rest.is_empty() {
    match wire::parse(rest, u32::MAX as usize) {
      Ok(Some((f, n))) if f.kind == ports::kind::PORT_MESSAGE => {
        let from = f.request;
        ports::table().post(from, rest[..n].to_vec());
        rest = &rest[n..];
      }
      _ => return false,
    }
  }
  true
}

/// Closes end `end`: its peer gets 'close'.
#[napi(catch_unwind)]
pub fn port_close(end: u32) {
  ports::table().close(end as EndId);
}

/// Ends open in this process (diagnostics, tests).
#[napi(catch_unwind)]
pub fn port_count() -> u32 {
  ports::table().len() as u32
}

/// Port frames main's relays moved between a child's socket and the table
/// without JS (`ipcMain.stats().ports.relayed`).
#[napi(catch_unwind)]
pub fn port_relayed() -> f64 {
  ports::relayed() as f64
}
