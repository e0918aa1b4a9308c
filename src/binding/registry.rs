//! `NativeRegistry`: the listener/handler registry of one `IpcMain` (or one
//! `webContents.ipc`), holding napi function references. JS-thread only.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::UnknownReturnValue;
use napi_derive::napi;

use crate::registry::{Key, Registry};

type JsFn = FunctionRef<(), UnknownReturnValue>;

fn key(k: Either<String, u32>) -> Key {
  match k {
    Either::A(s) => Key::Str(s),
    Either::B(id) => Key::Sym(id),
  }
}

/// Listeners per event name and one invoke handler per channel (Rust-owned).
#[napi]
pub struct NativeRegistry {
  inner: Registry<JsFn, JsFn>,
}

#[napi]
impl NativeRegistry {
  /// An empty registry.
  #[napi(constructor)]
  #[allow(clippy::new_without_default)]
  pub fn new() -> Self {
    NativeRegistry {
      inner: Registry::new(),
    }
  }

  /// Adds a registration (at the front when `prepend`); returns the new count.
  #[napi(catch_unwind)]
  pub fn add(
    &mut self,
    name: Either<String, u32>,
    #[napi(ts_arg_type = "(...args: any[]) => any")] listener: JsFn,
    once: bool,
    prepend: bool,
  ) -> u32 {
    self.inner.add(key(name), listener, once, prepend) as u32
  }

  /// Removes the registration at `index`; `false` if there is none.
  #[napi(catch_unwind)]
  pub fn remove_at(&mut self, name: Either<String, u32>, index: u32) -> bool {
    self.inner.remove_at(&key(name), index as usize).is_some()
  }

  /// The stored functions (once-wrappers included) of `name`, in call order.
  #[napi(catch_unwind)]
  pub fn listeners<'env>(&self, env: &'env Env, name: Either<String, u32>) -> Result<Array<'env>> {
    let entries = self.inner.entries(&key(name));
    let mut arr = env.create_array(entries.len() as u32)?;
    for (i, e) in entries.iter().enumerate() {
      arr.set(i as u32, e.listener.borrow_back(env)?)?;
    }
    Ok(arr)
  }

  /// How many registrations `name` has.
  #[napi(catch_unwind)]
  pub fn count(&self, name: Either<String, u32>) -> u32 {
    self.inner.count(&key(name)) as u32
  }

  /// Removes every registration of `name`.
  #[napi(catch_unwind)]
  pub fn clear(&mut self, name: Either<String, u32>) {
    self.inner.clear(&key(name));
  }

  /// Removes every listener of every name (handlers stay).
  #[napi(catch_unwind)]
  pub fn clear_all(&mut self) {
    self.inner.clear_all();
  }

  /// Names with listeners, in first-registration order (symbols by id).
  #[napi(catch_unwind)]
  pub fn keys(&self) -> Vec<Either<String, u32>> {
    self
      .inner
      .keys()
      .map(|k| match k {
        Key::Str(s) => Either::A(s.clone()),
        Key::Sym(id) => Either::B(*id),
      })
      .collect()
  }

  /// Marks the leak warning of `name` given; `true` if it was not yet.
  #[napi(catch_unwind)]
  pub fn mark_warned(&mut self, name: Either<String, u32>) -> bool {
    self.inner.mark_warned(&key(name))
  }

  /// Registers the invoke handler of `channel`; `false` if it already has one.
  #[napi(catch_unwind)]
  pub fn set_handler(
    &mut self,
    channel: String,
    #[napi(ts_arg_type = "(...args: any[]) => any")] handler: JsFn,
  ) -> bool {
    self.inner.set_handler(&channel, handler).is_ok()
  }

  /// Whether `channel` has an invoke handler.
  #[napi(catch_unwind)]
  pub fn has_handler(&self, channel: String) -> bool {
    self.inner.handler(&channel).is_some()
  }

  /// The invoke handler of `channel`, or `null`.
  #[napi(catch_unwind)]
  pub fn handler<'env>(
    &self,
    env: &'env Env,
    channel: String,
  ) -> Result<Option<Function<'env, (), UnknownReturnValue>>> {
    self
      .inner
      .handler(&channel)
      .map(|h| h.borrow_back(env))
      .transpose()
  }

  /// Removes the invoke handler of `channel`; `true` if there was one.
  #[napi(catch_unwind)]
  pub fn remove_handler(&mut self, channel: String) -> bool {
    self.inner.remove_handler(&channel).is_some()
  }
}
