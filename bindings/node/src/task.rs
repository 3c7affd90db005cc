//! Running core calls off the JS thread.
//!
//! Every method that touches disk returns a napi [`AsyncTask`]: the core call runs on
//! libuv's thread pool (`compute`), its result is converted to plain Rust structs there,
//! and only the copy into JS values happens on the JS thread (`resolve`). A panic in the
//! core is caught on the pool thread and rejects the promise instead of aborting Node.

use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task};

use crate::error::{guard, Failure};

type Work<T> = Box<dyn FnOnce() -> mnemo::Result<T> + Send>;

/// One core call, run on the libuv pool; resolves to `T`.
pub struct Call<T: Send + 'static> {
    work: Option<Work<T>>,
}

impl<T> Call<T>
where
    T: ToNapiValue + TypeName + Send + 'static,
{
    /// A task running `work` on the pool.
    pub(crate) fn new(work: impl FnOnce() -> mnemo::Result<T> + Send + 'static) -> AsyncTask<Self> {
        AsyncTask::new(Call {
            work: Some(Box::new(work)),
        })
    }
}

impl<T> Task for Call<T>
where
    T: ToNapiValue + TypeName + Send + 'static,
{
    type Output = Result<T, Failure>;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match self.work.take() {
            Some(work) => Ok(guard(work)),
            None => Err(napi::Error::from_reason("mnemo task ran twice")),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<T> {
        output.map_err(|f| f.into_napi(&env))
    }
}
