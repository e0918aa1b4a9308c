//! Fuzzes what a socket peer controls before it is authenticated: its
//! first frame, read under the handshake limit and cut into reads at any
//! points, then checked as a handshake. Never a panic or a hang; accepted
//! only with the right protocol version and the exact token.
#![no_main]

use ipc_main::connection::FrameReader;
use ipc_main::transport::{server::check_hello, HANDSHAKE_LIMIT, PROTOCOL};
use ipc_main::wire;
use libfuzzer_sys::fuzz_target;

const TOKEN: &str = "4f2a9c0b6d1e8f3a5b7c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c";

fn check(kind: u8, codec: u8, payload: &[u8]) {
  let accepted = check_hello(kind, codec, payload, TOKEN).is_ok();
  if accepted {
    // The only way in: a JSON CONNECT frame with this version and token.
    let v: serde_json::Value = serde_json::from_slice(payload).expect("accepted JSON");
    assert_eq!(kind, wire::kind::CONNECT);
    assert_eq!(codec, 1);
    assert_eq!(v["v"].as_u64(), Some(PROTOCOL));
    assert_eq!(v["token"].as_str(), Some(TOKEN));
  }
}

fuzz_target!(|data: &[u8]| {
  let Some((&knob, bytes)) = data.split_first() else {
    return;
  };
  if knob & 0x80 != 0 {
    // The payload alone, as the body of a well-formed CONNECT frame: the
    // fuzzer spends its time in the JSON, not in framing.
    check(wire::kind::CONNECT, 1, bytes);
    return;
  }
  let chunk = 1 + (knob as usize & 0x3f);
  let mut reader = FrameReader::new(HANDSHAKE_LIMIT);
  for piece in bytes.chunks(chunk) {
    reader.extend(piece);
    match reader.next_frame() {
      Ok(Some((f, raw))) => {
        assert!(raw.len() <= HANDSHAKE_LIMIT);
        check(f.kind, f.codec, f.payload);
        return;
      }
      Ok(None) => {}
      Err(_) => return,
    }
  }
});
