//! Listeners and handlers per channel, kept the way Node's EventEmitter keeps
//! them: an ordered list per event name (append or prepend, `once` flag),
//! event names in first-registration order, a per-name "leak warning given"
//! flag, and (Electron's addition) at most one invoke handler per channel.
//!
//! Generic over the listener handle `L` and handler handle `H`: the binding
//! stores napi function references, the unit tests store integers. It lives
//! on one JS thread, so there are no locks. Identity comparison of listeners
//! (`===`, once-wrapper `.listener`) is JavaScript's business: JS finds the
//! index, the registry removes by index.

use std::collections::HashMap;

use indexmap::IndexMap;

use crate::error::{IpcError, Result};

/// An event name: a string, or a JS symbol the binding numbered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
  /// A string event name (numbers are converted to strings by JS first).
  Str(String),
  /// A symbol event name, by the id the JS side gave that symbol.
  Sym(u32),
}

/// One registration of a listener.
#[derive(Debug)]
pub struct Entry<L> {
  /// The function to call (for `once`, the JS once-wrapper).
  pub listener: L,
  /// Registered with `once`/`prependOnceListener`.
  pub once: bool,
}

#[derive(Debug)]
struct Channel<L> {
  entries: Vec<Entry<L>>,
  /// The max-listeners warning was given for this list (Node's `warned`).
  warned: bool,
}

/// Listener lists per event name plus one invoke handler per channel.
#[derive(Debug)]
pub struct Registry<L, H = L> {
  channels: IndexMap<Key, Channel<L>>,
  handlers: HashMap<String, H>,
}

impl<L, H> Default for Registry<L, H> {
  fn default() -> Self {
    Registry {
      channels: IndexMap::new(),
      handlers: HashMap::new(),
    }
  }
}

impl<L, H> Registry<L, H> {
  /// An empty registry.
  pub fn new() -> Self {
    Self::default()
  }

  /// Adds a registration at the end (or the front, for `prepend*`).
  ///
  /// # Returns
  /// The channel's listener count after adding.
  pub fn add(&mut self, key: Key, listener: L, once: bool, prepend: bool) -> usize {
    let ch = self.channels.entry(key).or_insert_with(|| Channel {
      entries: Vec::new(),
      warned: false,
    });
    let entry = Entry { listener, once };
    if prepend {
      ch.entries.insert(0, entry);
    } else {
      ch.entries.push(entry);
    }
    ch.entries.len()
  }

  /// Removes the registration at `index`. An emptied channel disappears from
  /// [`keys`](Self::keys) (Node deletes the key); a list shrunk to one entry
  /// forgets its warning (Node turns it back into a bare function).
  pub fn remove_at(&mut self, key: &Key, index: usize) -> Option<Entry<L>> {
    let ch = self.channels.get_mut(key)?;
    if index >= ch.entries.len() {
      return None;
    }
    let removed = ch.entries.remove(index);
    match ch.entries.len() {
      0 => {
        self.channels.shift_remove(key);
      }
      1 => ch.warned = false,
      _ => {}
    }
    Some(removed)
  }

  /// The registrations of `key`, in call order.
  pub fn entries(&self, key: &Key) -> &[Entry<L>] {
    self.channels.get(key).map_or(&[], |c| &c.entries)
  }

  /// How many registrations `key` has.
  pub fn count(&self, key: &Key) -> usize {
    self.channels.get(key).map_or(0, |c| c.entries.len())
  }

  /// Removes every registration of `key`, returning them in call order.
  pub fn clear(&mut self, key: &Key) -> Vec<Entry<L>> {
    self
      .channels
      .shift_remove(key)
      .map_or_else(Vec::new, |c| c.entries)
  }

  /// Removes every listener of every channel (handlers stay, as Electron).
  pub fn clear_all(&mut self) {
    self.channels.clear();
  }

  /// Event names with at least one listener, in first-registration order.
  pub fn keys(&self) -> impl Iterator<Item = &Key> {
    self.channels.keys()
  }

  /// Marks the channel's leak warning as given.
  ///
  /// # Returns
  /// `true` if it had not been given yet (so the caller should warn now).
  pub fn mark_warned(&mut self, key: &Key) -> bool {
    match self.channels.get_mut(key) {
      Some(ch) if !ch.warned => {
        ch.warned = true;
        true
      }
      _ => false,
    }
  }

  /// Registers the invoke handler of `channel`.
  ///
  /// # Errors
  /// [`IpcError::SecondHandler`] if the channel already has one.
  pub fn set_handler(&mut self, channel: &str, handler: H) -> Result<()> {
    if self.handlers.contains_key(channel) {
      return Err(IpcError::SecondHandler(channel.to_owned()));
    }
    self.handlers.insert(channel.to_owned(), handler);
    Ok(())
  }

  /// The invoke handler of `channel`, if any.
  pub fn handler(&self, channel: &str) -> Option<&H> {
    self.handlers.get(channel)
  }

  /// Removes and returns the invoke handler of `channel`.
  pub fn remove_handler(&mut self, channel: &str) -> Option<H> {
    self.handlers.remove(channel)
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn s(name: &str) -> Key {
    Key::Str(name.to_owned())
  }

  fn listeners(r: &Registry<u32>, key: &Key) -> Vec<u32> {
    r.entries(key).iter().map(|e| e.listener).collect()
  }

  #[test]
  fn add_appends_and_prepend_goes_first() {
    let mut r = Registry::<u32>::new();
    assert_eq!(r.add(s("a"), 1, false, false), 1);
    assert_eq!(r.add(s("a"), 2, true, false), 2);
    assert_eq!(r.add(s("a"), 0, false, true), 3);
    assert_eq!(listeners(&r, &s("a")), vec![0, 1, 2]);
    assert!(r.entries(&s("a"))[2].once);
  }

  #[test]
  fn keys_keep_first_registration_order_and_reappear_at_the_end() {
    let mut r = Registry::<u32>::new();
    r.add(s("b"), 1, false, false);
    r.add(Key::Sym(7), 2, false, false);
    r.add(s("a"), 3, false, false);
    r.remove_at(&s("b"), 0);
    r.add(s("b"), 4, false, false);
    let keys: Vec<_> = r.keys().cloned().collect();
    assert_eq!(keys, vec![Key::Sym(7), s("a"), s("b")]);
  }

  #[test]
  fn remove_at_out_of_range_is_none_and_changes_nothing() {
    let mut r = Registry::<u32>::new();
    r.add(s("a"), 1, false, false);
    assert!(r.remove_at(&s("a"), 3).is_none());
    assert!(r.remove_at(&s("zz"), 0).is_none());
    assert_eq!(r.count(&s("a")), 1);
  }

  #[test]
  fn warned_is_given_once_and_forgotten_when_the_list_shrinks_to_one() {
    let mut r = Registry::<u32>::new();
    for i in 0..3 {
      r.add(s("a"), i, false, false);
    }
    assert!(r.mark_warned(&s("a")));
    assert!(!r.mark_warned(&s("a")));
    r.remove_at(&s("a"), 0);
    assert!(!r.mark_warned(&s("a")), "two entries still remember");
    r.remove_at(&s("a"), 0);
    r.add(s("a"), 9, false, false);
    assert!(r.mark_warned(&s("a")), "shrunk to one: forgotten");
    assert!(!r.mark_warned(&s("missing")));
  }

  #[test]
  fn clear_and_clear_all_leave_handlers_alone() {
    let mut r = Registry::<u32>::new();
    r.add(s("a"), 1, false, false);
    r.add(s("a"), 2, false, false);
    r.add(s("b"), 3, false, false);
    r.set_handler("a", 10).unwrap();
    let removed: Vec<_> = r.clear(&s("a")).into_iter().map(|e| e.listener).collect();
    assert_eq!(removed, vec![1, 2]);
    assert_eq!(r.count(&s("a")), 0);
    r.clear_all();
    assert_eq!(r.keys().count(), 0);
    assert_eq!(r.handler("a"), Some(&10));
  }

  #[test]
  fn a_second_handler_is_refused_with_electrons_text() {
    let mut r = Registry::<u32>::new();
    r.set_handler("ch", 1).unwrap();
    let err = r.set_handler("ch", 2).unwrap_err();
    assert_eq!(
      err.to_string(),
      "Attempted to register a second handler for 'ch'"
    );
    assert_eq!(r.remove_handler("ch"), Some(1));
    assert!(r.set_handler("ch", 3).is_ok());
    assert_eq!(r.handler("ch"), Some(&3));
  }
}
