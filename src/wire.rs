//! Frame codec: frames <-> bytes. No IO, no JS, no channels.
//!
//! One layout everywhere: a hub's inbox holds encoded frames, a drained batch
//! handed to JavaScript is frames back to back, and the socket transport
//! writes the same frames. Little-endian:
//!
//! ```text
//! 0  u32 body_len    bytes after this field (16 + channel_len + payload)
//! 4  u8  kind        see `kind`
//! 5  u8  codec       how the payload is encoded (JS's business; opaque here)
//! 6  u16 flags       reserved, 0
//! 8  u32 renderer    the renderer (WebContents id) the frame is from / for
//! 12 u32 request     request id for sync/invoke and their replies, else 0
//! 16 u32 channel_len
//! 20 ..  channel (UTF-8), then payload
//! ```
//!
//! Parsing never panics: [`parse`] says `Ok(None)` for "read more" and an
//! error for bytes that can never become a valid frame.

use crate::error::{IpcError, Result};

/// Bytes before the channel.
pub const HEADER_LEN: usize = 20;
/// Default limit on one frame's size (API.md §6: 256 MiB).
pub const DEFAULT_MAX_FRAME: usize = 256 * 1024 * 1024;

/// Frame kinds. Renderer -> main below 16, main -> renderer from 16.
pub mod kind {
  /// `ipcRenderer.send`.
  pub const SEND: u8 = 1;
  /// `ipcRenderer.sendSync`.
  pub const SEND_SYNC: u8 = 2;
  /// `ipcRenderer.invoke`.
  pub const INVOKE: u8 = 3;
  /// A renderer announces itself (payload: JSON metadata).
  pub const CONNECT: u8 = 4;
  /// A renderer is gone (closed, exited, crashed).
  pub const DISCONNECT: u8 = 5;
  /// A renderer answers a main -> renderer invoke (ok).
  pub const INVOKE_REPLY_OK: u8 = 6;
  /// A renderer answers a main -> renderer invoke (error).
  pub const INVOKE_REPLY_ERR: u8 = 7;
  /// The renderer gives up a request it made (timeout, abort).
  pub const CANCEL: u8 = 8;
  /// `webContents.send` / `event.reply`.
  pub const MESSAGE: u8 = 16;
  /// A main-side handler's result for an invoke.
  pub const RESULT_OK: u8 = 17;
  /// A main-side handler's error for an invoke.
  pub const RESULT_ERR: u8 = 18;
  /// The answer to a `sendSync` (socket renderers; threads use a slot).
  pub const SYNC_REPLY: u8 = 19;
  /// Main invokes a renderer-side handler.
  pub const INVOKE_RENDERER: u8 = 20;
  /// The hub closed: the renderer is disconnected.
  pub const CLOSED: u8 = 21;
  /// Main gives up a `wc.invoke` it made (timeout, abort).
  pub const CANCEL_RENDERER: u8 = 22;
  /// A message port's message for the end in `request`, either direction
  /// (see `crate::ports`).
  pub const PORT_MESSAGE: u8 = 32;
  /// The peer of the end in `request` closed or is gone (`crate::ports`).
  pub const PORT_CLOSE: u8 = 33;

  /// Whether `k` is a kind this version knows.
  pub fn is_known(k: u8) -> bool {
    matches!(k, 1..=8 | 16..=22 | 32..=33)
  }
}

/// A parsed frame borrowing the bytes it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef<'a> {
  /// One of [`kind`].
  pub kind: u8,
  /// Payload codec tag.
  pub codec: u8,
  /// Renderer id.
  pub renderer: u32,
  /// Request id.
  pub request: u32,
  /// Channel name.
  pub channel: &'a str,
  /// Encoded arguments or result.
  pub payload: &'a [u8],
}

/// Appends one encoded frame to `out`.
///
/// # Panics
/// Never for inputs below 4 GiB; larger channels or payloads are refused by
/// callers through [`check_len`] first.
pub fn encode_into(
  out: &mut Vec<u8>,
  kind: u8,
  codec: u8,
  renderer: u32,
  request: u32,
  channel: &[u8],
  payload: &[u8],
) {
  encode_head_into(out, kind, codec, renderer, request, channel, payload.len());
  out.extend_from_slice(payload);
}

/// Appends the header and channel of a frame whose `payload_len` bytes of
/// payload the caller appends next (written straight from where they are,
/// without an intermediate copy). Reserves room for them.
pub fn encode_head_into(
  out: &mut Vec<u8>,
  kind: u8,
  codec: u8,
  renderer: u32,
  request: u32,
  channel: &[u8],
  payload_len: usize,
) {
  let body = 16 + channel.len() + payload_len;
  out.reserve(4 + body);
  out.extend_from_slice(&(body as u32).to_le_bytes());
  out.push(kind);
  out.push(codec);
  out.extend_from_slice(&0u16.to_le_bytes());
  out.extend_from_slice(&renderer.to_le_bytes());
  out.extend_from_slice(&request.to_le_bytes());
  out.extend_from_slice(&(channel.len() as u32).to_le_bytes());
  out.extend_from_slice(channel);
}

/// Walks whole frames written back to back, yielding `(kind, renderer,
/// request, frame bytes)` without checking them (see `route::check_batch`
/// for bytes that are not trusted). Stops at the first incomplete header.
pub fn frames(batch: &[u8]) -> impl Iterator<Item = (u8, u32, u32, &[u8])> {
  let mut rest = batch;
  std::iter::from_fn(move || {
    if rest.len() < HEADER_LEN {
      return None;
    }
    let len = (4 + u32_at(rest, 0) as usize).min(rest.len());
    let (frame, tail) = rest.split_at(len);
    rest = tail;
    Some((frame[4], u32_at(frame, 8), u32_at(frame, 12), frame))
  })
}

/// One encoded frame in a fresh buffer.
pub fn encode(
  kind: u8,
  codec: u8,
  renderer: u32,
  request: u32,
  channel: &[u8],
  payload: &[u8],
) -> Vec<u8> {
  let mut v = Vec::with_capacity(HEADER_LEN + channel.len() + payload.len());
  encode_into(&mut v, kind, codec, renderer, request, channel, payload);
  v
}

/// Refuses a frame whose encoded size would pass `limit`.
pub fn check_len(channel: usize, payload: usize, limit: usize) -> Result<()> {
  let len = HEADER_LEN.saturating_add(channel).saturating_add(payload);
  if len > limit || len > u32::MAX as usize {
    return Err(IpcError::FrameTooLarge { len, limit });
  }
  Ok(())
}

fn u32_at(b: &[u8], at: usize) -> u32 {
  u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses the first frame of `buf`.
///
/// # Returns
/// `Ok(Some((frame, consumed)))` for a whole frame, `Ok(None)` when more
/// bytes are needed, an error when the bytes can never form a valid frame
/// (bad length, unknown kind, channel not UTF-8, over `limit`).
pub fn parse(buf: &[u8], limit: usize) -> Result<Option<(FrameRef<'_>, usize)>> {
  if buf.len() < 4 {
    return Ok(None);
  }
  let body = u32_at(buf, 0) as usize;
  if body < 16 {
    return Err(IpcError::BadFrame("length shorter than a header"));
  }
  let total = 4 + body;
  if total > limit {
    return Err(IpcError::FrameTooLarge { len: total, limit });
  }
  if buf.len() < HEADER_LEN {
    return Ok(None);
  }
  let kind = buf[4];
  if !kind::is_known(kind) {
    return Err(IpcError::BadFrame("unknown frame kind"));
  }
  let channel_len = u32_at(buf, 16) as usize;
  if channel_len > body - 16 {
    return Err(IpcError::BadFrame("channel longer than the frame"));
  }
  if buf.len() < total {
    return Ok(None);
  }
  let channel = std::str::from_utf8(&buf[HEADER_LEN..HEADER_LEN + channel_len])
    .map_err(|_| IpcError::BadFrame("channel is not UTF-8"))?;
  Ok(Some((
    FrameRef {
      kind,
      codec: buf[5],
      renderer: u32_at(buf, 8),
      request: u32_at(buf, 12),
      channel,
      payload: &buf[HEADER_LEN + channel_len..total],
    },
    total,
  )))
}

/// Rewrites the renderer id of an encoded frame in place (a hub stamps the
/// id of the connection a socket frame arrived on; a peer cannot forge it).
pub fn set_renderer(frame: &mut [u8], renderer: u32) {
  if frame.len() >= HEADER_LEN {
    frame[8..12].copy_from_slice(&renderer.to_le_bytes());
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn round_trips_a_frame() {
    let bytes = encode(kind::INVOKE, 1, 7, 42, "ping".as_bytes(), b"[1,2]");
    let (f, used) = parse(&bytes, DEFAULT_MAX_FRAME).unwrap().unwrap();
    assert_eq!(used, bytes.len());
    assert_eq!(
      f,
      FrameRef {
        kind: kind::INVOKE,
        codec: 1,
        renderer: 7,
        request: 42,
        channel: "ping",
        payload: b"[1,2]",
      }
    );
  }

  #[test]
  fn every_prefix_of_a_frame_is_incomplete_not_an_error() {
    let bytes = encode(kind::SEND, 2, 1, 0, "é-channel".as_bytes(), &[9; 40]);
    for n in 0..bytes.len() {
      assert_eq!(parse(&bytes[..n], DEFAULT_MAX_FRAME).unwrap(), None, "{n}");
    }
  }

  #[test]
  fn frames_back_to_back_parse_one_at_a_time() {
    let mut buf = Vec::new();
    encode_into(&mut buf, kind::SEND, 1, 1, 0, b"a", b"x");
    encode_into(&mut buf, kind::MESSAGE, 1, 2, 0, b"bb", b"");
    let (a, n) = parse(&buf, 1 << 20).unwrap().unwrap();
    let (b, m) = parse(&buf[n..], 1 << 20).unwrap().unwrap();
    assert_eq!((a.channel, b.channel, n + m), ("a", "bb", buf.len()));
  }

  #[test]
  fn rejects_bad_lengths_kinds_and_channels() {
    let mut short = encode(kind::SEND, 0, 0, 0, b"", b"");
    short[0..4].copy_from_slice(&3u32.to_le_bytes());
    assert!(parse(&short, 1 << 20).is_err());

    let mut unknown = encode(kind::SEND, 0, 0, 0, b"c", b"");
    unknown[4] = 99;
    assert_eq!(
      parse(&unknown, 1 << 20),
      Err(IpcError::BadFrame("unknown frame kind"))
    );

    let mut long_channel = encode(kind::SEND, 0, 0, 0, b"c", b"");
    long_channel[16..20].copy_from_slice(&100u32.to_le_bytes());
    assert!(parse(&long_channel, 1 << 20).is_err());

    let bad_utf8 = encode(kind::SEND, 0, 0, 0, &[0xff, 0xfe], b"");
    assert!(parse(&bad_utf8, 1 << 20).is_err());
  }

  #[test]
  fn a_huge_length_prefix_fails_at_once_without_waiting_for_bytes() {
    let buf = u32::MAX.to_le_bytes();
    assert!(matches!(
      parse(&buf, DEFAULT_MAX_FRAME),
      Err(IpcError::FrameTooLarge { .. })
    ));
    assert!(check_len(10, DEFAULT_MAX_FRAME, DEFAULT_MAX_FRAME).is_err());
    assert!(check_len(10, 10, DEFAULT_MAX_FRAME).is_ok());
  }

  #[test]
  fn random_bytes_never_panic() {
    // xorshift: deterministic pseudo-random input without a dependency.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..20_000 {
      let len = (x % 64) as usize;
      let mut buf = Vec::with_capacity(len);
      for _ in 0..len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf.push(x as u8);
      }
      let _ = parse(&buf, 1 << 16);
    }
  }

  #[test]
  fn set_renderer_stamps_the_sender() {
    let mut bytes = encode(kind::SEND, 0, 5, 0, b"c", b"");
    set_renderer(&mut bytes, 77);
    assert_eq!(parse(&bytes, 1 << 20).unwrap().unwrap().0.renderer, 77);
  }
}
