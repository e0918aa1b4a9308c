//! One-line diagnostics on stderr that can never fail the caller.
//!
//! `eprintln!` panics when the write fails, and stderr fails often: under a
//! supervisor, `| tee` or a parent process it is a pipe, Node makes it
//! non-blocking, and a burst fills it (`EAGAIN`). A panic there would end
//! the task that was about to close a connection. So a line is written with
//! one `write(2)`, best effort: a line the pipe cannot take now is dropped,
//! never retried, never waited for. Lines are short, so one write is atomic
//! on a pipe (`PIPE_BUF`) and lines of different threads never interleave.
//! A stderr that would block (a blocking pipe nobody reads) drops it too.

use std::fmt::Write as _;
use std::io::Write as _;

/// Writes `ipc-main: <msg>` and a newline to stderr, or drops it.
pub fn line(msg: std::fmt::Arguments<'_>) {
  let mut s = String::with_capacity(128);
  // Formatting into a String fails only if a Display impl does; then the
  // line is dropped like one the pipe refused.
  if writeln!(s, "ipc-main: {msg}").is_err() {
    return;
  }
  if !writable_now() {
    return;
  }
  // One write call: a partial write or `EAGAIN` loses (the rest of) the
  // line, which is the point.
  let _ = std::io::stderr().lock().write(s.as_bytes());
}

/// Whether stderr takes a write without blocking. Node makes a pipe
/// non-blocking, but a blocking one left full (a parent that never reads)
/// would otherwise stop the calling thread, the IO thread of every socket.
#[cfg(unix)]
fn writable_now() -> bool {
  let mut pfd = libc::pollfd {
    fd: libc::STDERR_FILENO,
    events: libc::POLLOUT,
    revents: 0,
  };
  // SAFETY: one valid pollfd; a zero timeout never blocks.
  let n = unsafe { libc::poll(&mut pfd, 1, 0) };
  n == 1 && pfd.revents & libc::POLLOUT != 0
}

#[cfg(not(unix))]
fn writable_now() -> bool {
  true
}

#[cfg(test)]
mod tests {
  #[test]
  fn a_line_never_panics() {
    super::line(format_args!("a test line {}", 1));
  }
}
