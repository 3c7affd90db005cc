//! The uniffi bindings generator (`uniffi-bindgen generate --library ...`), built with the
//! same uniffi version as the scaffolding in this crate so the two always agree.

fn main() {
    uniffi::uniffi_bindgen_main();
}
