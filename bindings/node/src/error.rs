//! Error mapping: a core [`mnemo::Error`] becomes a JS `Error` whose `code` property is
//! [`mnemo::Error::code`] (`not_found`, `locked`, `closed`, ...). `index.js` turns those
//! into the exported `MnemoError` subclasses (`NotFoundError`, ...).
//!
//! Errors are built on the JS thread (they need an `Env`); work running elsewhere carries
//! the core error back and converts it when it settles its promise.

use napi::bindgen_prelude::{Object, Unknown};
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
        let err = JsError::from(napi::Error::new(code, message)).into_unknown(*env);
        if let Failure::Core(e) = &self {
            // Best effort: the error is still thrown if a property cannot be set.
            let _ = set_details(err, e);
        }
        napi::Error::from(err)
    }
}

/// Copies the fields of a core error hosts act on onto the JS error: `stream`,
/// `expected` and `current` (a version or `null` for no stream) of a `conflict`;
/// `projection`, `seq` and `reason` of `projection_failed`; `kind`, `schema` and `reason`
/// of `upcast`.
fn set_details(err: Unknown<'_>, e: &mnemo::Error) -> napi::Result<()> {
    // SAFETY: `err` is a JS Error object just created by `JsError::into_unknown`.
    let mut obj: Object<'_> = unsafe { err.cast()? };
    match e {
        mnemo::Error::Conflict {
            stream,
            expected,
            current,
        } => {
            obj.set("stream", stream.as_str())?;
            obj.set("expected", expected.as_str())?;
            obj.set("current", current.map(crate::types::num))?;
        }
        mnemo::Error::ProjectionFailed { name, seq, reason } => {
            obj.set("projection", name.as_str())?;
            obj.set("seq", crate::types::num(*seq))?;
            obj.set("reason", reason.as_str())?;
        }
        mnemo::Error::Upcast {
            kind,
            schema,
            reason,
        } => {
            obj.set("kind", kind.as_str())?;
            obj.set("schema", *schema)?;
            obj.set("reason", reason.as_str())?;
        }
        _ => {}
    }
    Ok(())
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
