//! Error mapping: a core [`mnemo::Error`] becomes a JS `Error` whose `code` property is
//! [`mnemo::Error::code`] (`not_found`, `locked`, `closed`, ...). `index.js` turns those
//! into the exported `MnemoError` subclasses (`NotFoundError`, ...).
//!
//! Errors are built on the JS thread (they need an `Env`); work running elsewhere carries
//! the core error back and converts it when it settles its promise.

use napi::{Env, JsError};

/// The `code` of errors for a panic caught inside the core (a bug; never expected).
pub(crate) const PANIC_CODE: &str = "internal";

/// What a background computation ended with, carried to the JS thread.
pub enum Failure {
    /// A core error.
    Core(mnemo::Error),
    /// A panic inside the core, with its message.
    Panic(String),
}

impl From<mnemo::Error> for Failure {
    fn from(e: mnemo::Error) -> Self {
        Failure::Core(e)
    }
}

impl Failure {
    fn code_and_message(&self) -> (&'static str, String) {
        match self {
            Failure::Core(e) => (e.code(), e.to_string()),
            Failure::Panic(msg) => (PANIC_CODE, format!("internal error in mnemo: {msg}")),
        }
    }

    /// The JS error for this failure, as a napi error that rejects/throws that very object.
    pub(crate) fn into_napi(self, env: &Env) -> napi::Error {
        let (code, message) = self.code_and_message();
        js_error(env, code, message)
    }
}

/// A napi error carrying a JS `Error` with `code` set to `code`.
pub(crate) fn js_error(env: &Env, code: &str, message: String) -> napi::Error {
    let err = JsError::from(napi::Error::new(code, message)).into_unknown(*env);
    napi::Error::from(err)
}

/// The JS error for a core error.
pub(crate) fn core_error(env: &Env, e: mnemo::Error) -> napi::Error {
    Failure::Core(e).into_napi(env)
}

/// Runs `f`, turning a panic into [`Failure::Panic`] so it never unwinds into Node.
pub(crate) fn guard<T>(f: impl FnOnce() -> mnemo::Result<T>) -> Result<T, Failure> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(Failure::Core),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            Err(Failure::Panic(msg))
        }
    }
}
