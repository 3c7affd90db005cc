//! Node.js binding of Mnemo, built with napi-rs.
//!
//! This crate compiles to `mnemo.node`, loaded by `index.js`, which exports the public JS
//! API (`Mnemo`, `Subscription`, the `MnemoError` classes). Like every binding it holds no
//! logic: it converts arguments and results between JS values and the core's types
//! (`types`), maps [`mnemo::Error`] to JS errors carrying `Error::code()` (`error`), and
//! keeps the JS thread free: disk work runs as napi `AsyncTask`s on libuv's pool (`task`,
//! `store`) and change-feed waits on one background thread (`feed`). Projections and
//! upcasters written in JS (`host`) run on the JS thread, and so do `close` and the opt-in
//! `*Sync` point reads (`promptSync`, `sessionSync`, ...), like better-sqlite3's calls.

#![deny(missing_docs)]

mod error;
mod feed;
mod host;
mod store;
mod store_events;
mod task;
mod types;

pub use feed::NativeSubscription;
pub use host::NativeProjectionPage;
pub use store::{builtin_projections, NativeMnemo};
pub use store_events::NativeView;
