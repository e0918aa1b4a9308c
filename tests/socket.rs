//! The socket transport end to end, without Node: a hub listening on a
//! temporary socket, real clients, and raw streams writing malformed,
//! oversized and unexpected frames. Each bad connection must be closed alone
//! and nothing of it may reach the hub's inbox.
#![cfg(unix)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipc_main::error::IpcError;
use ipc_main::hub::Hub;
use ipc_main::queue::{Doorbell, Inbox};
use ipc_main::transport::client::{handshake, Client};
use ipc_main::transport::server::{listen, Listener, Options};
use ipc_main::wire::{self, kind};

const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A doorbell that only counts (the tests poll the inbox).
#[derive(Default)]
struct Rings(AtomicUsize);

impl Doorbell for Rings {
  fn ring(&self) -> ipc_main::Result<()> {
    self.0.fetch_add(1, Ordering::SeqCst);
    Ok(())
  }
}

struct Fixture {
  hub: Arc<Hub>,
  listener: Listener,
  _dir: tempfile::TempDir,
}

fn fixture(max_frame: usize) -> Fixture {
  fixture_bounded(max_frame, ipc_main::transport::server::DEFAULT_MAX_QUEUE)
}

/// A hub listening with a bound on its queue (`max_queue` bytes).
fn fixture_bounded(max_frame: usize, max_queue: usize) -> Fixture {
  let dir = tempfile::tempdir().unwrap();
  let hub = Hub::new(Box::new(Rings::default()));
  let listener = listen(
    hub.clone(),
    Options {
      path: dir.path().join("s"),
      token: TOKEN.into(),
      max_frame,
      max_queue,
      adopt: false,
    },
  )
  .unwrap();
  Fixture {
    hub,
    listener,
    _dir: dir,
  }
}

/// Every frame the hub's inbox got, as `(kind, renderer, request, channel, payload)`.
fn take(hub: &Hub) -> Vec<(u8, u32, u32, String, Vec<u8>)> {
  let mut buf = Vec::new();
  hub.inbox.drain_into(&mut buf, usize::MAX, usize::MAX);
  let mut out = Vec::new();
  let mut at = 0;
  while let Ok(Some((f, n))) = wire::parse(&buf[at..], usize::MAX) {
    out.push((
      f.kind,
      f.renderer,
      f.request,
      f.channel.to_owned(),
      f.payload.to_vec(),
    ));
    at += n;
  }
  out
}

/// Waits until the hub's inbox has `n` frames (or fails after 5 s).
fn wait_frames(hub: &Hub, n: usize) {
  let until = Instant::now() + Duration::from_secs(5);
  while hub.inbox.depth().frames < n {
    assert!(
      Instant::now() < until,
      "expected {n} frames, have {}",
      hub.inbox.depth().frames
    );
    std::thread::sleep(Duration::from_millis(2));
  }
}

fn hello(token: &str) -> Vec<u8> {
  let body = format!(r#"{{"v":1,"token":"{token}","pid":1,"url":""}}"#);
  wire::encode(kind::CONNECT, 1, 0, 0, b"", body.as_bytes())
}

/// A raw stream past a correct handshake; returns it and its renderer id.
fn raw_connected(f: &Fixture) -> (UnixStream, u32) {
  let mut s = UnixStream::connect(f.listener.path()).unwrap();
  s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
  s.write_all(&hello(TOKEN)).unwrap();
  let mut head = [0u8; 4];
  s.read_exact(&mut head).unwrap();
  let mut body = vec![0u8; u32::from_le_bytes(head) as usize];
  s.read_exact(&mut body).unwrap();
  let mut frame = head.to_vec();
  frame.extend_from_slice(&body);
  let (reply, _) = wire::parse(&frame, usize::MAX).unwrap().unwrap();
  assert_eq!(reply.kind, kind::CONNECT);
  (s, reply.renderer)
}

/// Reads until the server closes the stream; fails if it stays open 5 s.
fn assert_closed(s: &mut UnixStream) {
  s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
  let mut sink = [0u8; 4096];
  loop {
    match s.read(&mut sink) {
      Ok(0) => return,
      Ok(_) => continue,
      Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
      Err(e) => panic!("connection not closed: {e}"),
    }
  }
}

#[test]
fn a_client_is_attached_and_its_frames_reach_the_hub_stamped_with_its_id() {
  let f = fixture(wire::DEFAULT_MAX_FRAME);
  let c = handshake(
    f.listener.path(),
    TOKEN,
    serde_json::json!({ "pid": 7 }),
    Duration::from_secs(5),
  )
  .unwrap();
  let id = c.id;
  let inbox = Arc::new(Inbox::new(Box::new(Rings::default())));
  let client = Client::start(c, inbox.clone()).unwrap();
  // The renderer field a client writes is ignored: the connection says who.
  client
    .push_quiet(wire::encode(kind::SEND, 1, 999, 0, b"ch", b"[1]"))
    .unwrap();
  client.flush();
  wait_frames(&f.hub, 2);
  let got = take(&f.hub);
  assert_eq!(got[0].0, kind::CONNECT);
  assert_eq!(got[1], (kind::SEND, id, 0, "ch".into(), b"[1]".to_vec()));

  // Main -> renderer through the hub's link.
  f.hub
    .send_to(id, wire::encode(kind::MESSAGE, 1, id, 0, b"back", b"[2]"))
    .unwrap();
  f.hub.flush_renderer(id);
  let until = Instant::now() + Duration::from_secs(5);
  while inbox.depth().frames == 0 {
    assert!(Instant::now() < until, "main's frame never arrived");
    std::thread::sleep(Duration::from_millis(2));
  }

  client.close();
  wait_frames(&f.hub, 1);
  let got = take(&f.hub);
  assert_eq!(
    (got[0].0, got[0].2),
    (kind::DISCONNECT, 1),
    "an explicit goodbye"
  );
}

#[test]
fn a_blocked_send_sync_gets_its_reply_and_wakes_when_main_closes() {
  let f = fixture(wire::DEFAULT_MAX_FRAME);
  let c = handshake(
    f.listener.path(),
    TOKEN,
    serde_json::Value::Null,
    Duration::from_secs(5),
  )
  .unwrap();
  let id = c.id;
  let inbox = Arc::new(Inbox::new(Box::new(Rings::default())));
  let client = Client::start(c, inbox).unwrap();
  let hub = f.hub.clone();
  let answer = std::thread::spawn(move || {
    wait_frames(&hub, 2);
    let got = take(&hub);
    assert_eq!(got[1].0, kind::SEND_SYNC);
    hub
      .send_to(
        id,
        wire::encode(kind::SYNC_REPLY, 1, id, got[1].2, b"", b"[42]"),
      )
      .unwrap();
    hub.flush_renderer(id);
  });
  let reply = client
    .send_sync(
      5,
      wire::encode(kind::SEND_SYNC, 1, id, 5, b"q", b"[]"),
      Duration::ZERO,
    )
    .unwrap();
  assert_eq!(reply, b"\x01[42]", "codec byte, then the payload");
  answer.join().unwrap();

  let c2 = client.clone();
  let waiter = std::thread::spawn(move || {
    c2.send_sync(
      6,
      wire::encode(kind::SEND_SYNC, 1, id, 6, b"q", b"[]"),
      Duration::ZERO,
    )
  });
  wait_frames(&f.hub, 1);
  f.listener.stop();
  f.hub.close();
  f.listener.finish();
  assert_eq!(
    waiter.join().unwrap(),
    Err(ipc_main::IpcError::Disconnected)
  );
}

#[test]
fn a_wrong_or_missing_token_is_refused_and_nothing_reaches_the_hub() {
  let f = fixture(wire::DEFAULT_MAX_FRAME);
  for token in ["", "nope", &TOKEN[..63], &format!("{TOKEN}0")] {
    let err = handshake(
      f.listener.path(),
      token,
      serde_json::Value::Null,
      Duration::from_secs(5),
    )
    .err();
    assert!(
      matches!(err, Some(IpcError::AuthFailed)),
      "token {token:?}: {err:?}"
    );
  }
  assert_eq!(f.hub.inbox.depth().frames, 0);
  assert_eq!(f.listener.connections(), 0);
}

#[test]
fn bad_first_frames_close_the_connection_before_the_hub_hears_of_it() {
  let f = fixture(wire::DEFAULT_MAX_FRAME);
  let not_connect = wire::encode(kind::SEND, 1, 0, 0, b"ch", b"[]");
  let v2 = wire::encode(
    kind::CONNECT,
    1,
    0,
    0,
    b"",
    format!(r#"{{"v":2,"token":"{TOKEN}"}}"#).as_bytes(),
  );
  let not_json = wire::encode(kind::CONNECT, 1, 0, 0, b"", b"{nope");
  let huge_hello = (70_000u32).to_le_bytes().to_vec();
  let garbage: Vec<u8> = (0..200u32)
    .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
    .collect();
  for bytes in [not_connect, v2, not_json, huge_hello, garbage] {
    let mut s = UnixStream::connect(f.listener.path()).unwrap();
    s.write_all(&bytes).unwrap();
    assert_closed(&mut s);
  }
  assert_eq!(f.hub.inbox.depth().frames, 0);
  // And a good client still gets in.
  assert!(handshake(
    f.listener.path(),
    TOKEN,
    serde_json::Value::Null,
    Duration::from_secs(5)
  )
  .is_ok());
}

#[test]
fn malformed_oversized_or_unexpected_frames_close_only_that_connection() {
  let f = fixture(4096);
  let (mut good, good_id) = raw_connected(&f);
  wait_frames(&f.hub, 1);
  take(&f.hub);
  let cases: Vec<(&str, Vec<u8>)> = vec![
    ("huge length prefix", 0xFFFF_FFF0u32.to_le_bytes().to_vec()),
    (
      "over the limit",
      wire::encode(kind::SEND, 1, 0, 0, b"ch", &[b'1'; 5000]),
    ),
    (
      "length below a header",
      3u32
        .to_le_bytes()
        .iter()
        .chain(&[0u8; 20])
        .copied()
        .collect(),
    ),
    ("unknown kind", {
      let mut v = wire::encode(kind::SEND, 1, 0, 0, b"ch", b"[]");
      v[4] = 99;
      v
    }),
    (
      "a main -> renderer kind",
      wire::encode(kind::MESSAGE, 1, 0, 0, b"ch", b"[]"),
    ),
    ("a second handshake", hello(TOKEN)),
    (
      "the in-process codec",
      wire::encode(kind::SEND, 3, 0, 0, b"ch", b""),
    ),
    (
      "a channel that is not UTF-8",
      wire::encode(kind::SEND, 1, 0, 0, &[0xff, 0xfe], b"[]"),
    ),
  ];
  for (name, bytes) in cases {
    let (mut s, id) = raw_connected(&f);
    s.write_all(&bytes).unwrap();
    assert_closed(&mut s);
    wait_frames(&f.hub, 2);
    let got = take(&f.hub);
    let kinds: Vec<_> = got.iter().map(|g| (g.0, g.1)).collect();
    assert_eq!(
      kinds,
      vec![(kind::CONNECT, id), (kind::DISCONNECT, id)],
      "{name}"
    );
  }
  // A truncated frame and then EOF: nothing but the goodbye.
  let (mut s, id) = raw_connected(&f);
  let whole = wire::encode(kind::SEND, 1, 0, 0, b"ch", b"[1,2,3]");
  s.write_all(&whole[..whole.len() - 2]).unwrap();
  drop(s);
  wait_frames(&f.hub, 2);
  let kinds: Vec<_> = take(&f.hub).iter().map(|g| (g.0, g.1)).collect();
  assert_eq!(kinds, vec![(kind::CONNECT, id), (kind::DISCONNECT, id)]);

  // The first connection was never disturbed.
  good
    .write_all(&wire::encode(kind::SEND, 1, 0, 0, b"still", b"[]"))
    .unwrap();
  wait_frames(&f.hub, 1);
  let got = take(&f.hub);
  assert_eq!(
    (got[0].0, got[0].1, got[0].3.as_str()),
    (kind::SEND, good_id, "still")
  );
}

#[test]
fn stopping_removes_the_socket_and_closing_the_hub_tells_every_renderer() {
  let f = fixture(wire::DEFAULT_MAX_FRAME);
  let (mut s, _) = raw_connected(&f);
  let path = f.listener.path().to_owned();
  f.listener.stop();
  assert!(!path.exists());
  assert!(UnixStream::connect(&path).is_err());
  f.hub.close();
  f.listener.finish();
  let mut rest = Vec::new();
  s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
  s.read_to_end(&mut rest).unwrap();
  let (closed, _) = wire::parse(&rest, usize::MAX)
    .unwrap()
    .unwrap_or_else(|| panic!("got {} bytes: {:?}", rest.len(), rest));
  assert_eq!(closed.kind, kind::CLOSED);
}

#[test]
fn reading_pauses_while_the_hub_queue_is_over_its_bound_and_every_frame_arrives_in_order() {
  const BOUND: usize = 16 * 1024;
  const N: u32 = 20_000;
  let f = fixture_bounded(wire::DEFAULT_MAX_FRAME, BOUND);
  let (mut s, id) = raw_connected(&f);
  wait_frames(&f.hub, 1);
  assert_eq!(take(&f.hub)[0].0, kind::CONNECT);
  // 2.4 MB: far more than the socket holds, so the writer waits on main.
  let writer = std::thread::spawn(move || {
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    for i in 0..N {
      s.write_all(&wire::encode(kind::SEND, 1, 0, i, b"ch", &[7u8; 100]))
        .unwrap();
    }
    s
  });
  let mut next = 0u32;
  let until = Instant::now() + Duration::from_secs(20);
  while next < N {
    assert!(Instant::now() < until, "stuck at frame {next}");
    // One read past the bound at most (a read takes up to 64 KiB).
    let held = f.hub.inbox.depth().bytes;
    assert!(
      held <= BOUND + 64 * 1024 + 200,
      "the hub holds {held} bytes"
    );
    for (k, renderer, request, _, payload) in take(&f.hub) {
      assert_eq!(
        (k, renderer, request, payload.len()),
        (kind::SEND, id, next, 100)
      );
      next += 1;
    }
    std::thread::sleep(Duration::from_millis(1));
  }
  drop(writer.join().unwrap());
}
