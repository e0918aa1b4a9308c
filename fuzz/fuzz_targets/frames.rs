//! Fuzzes the frame decoder the socket reads with: any bytes, cut into reads
//! at any points, must give whole frames or an error, never a panic, a hang
//! or a frame past the limit.
#![no_main]

use ipc_main::connection::FrameReader;
use ipc_main::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
  // The first byte picks the read size and the frame limit, so the fuzzer
  // explores both the cutting and the limit checks.
  let Some((&knob, bytes)) = data.split_first() else {
    return;
  };
  let chunk = 1 + (knob as usize & 0x3f);
  let limit = if knob & 0x40 != 0 {
    64
  } else {
    wire::DEFAULT_MAX_FRAME
  };
  let mut reader = FrameReader::new(limit);
  'feed: for piece in bytes.chunks(chunk) {
    reader.extend(piece);
    loop {
      match reader.next_frame() {
        Ok(Some((f, raw))) => {
          assert!(raw.len() <= limit);
          assert_eq!(
            raw.len(),
            wire::HEADER_LEN + f.channel.len() + f.payload.len()
          );
          assert!(wire::kind::is_known(f.kind));
        }
        Ok(None) => break,
        Err(_) => break 'feed,
      }
    }
  }
  // The one-shot parser agrees on the first frame.
  let _ = wire::parse(bytes, limit);
});
