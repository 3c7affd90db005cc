//! Links the addon against Node's N-API symbols (resolved when Node loads the `.node` file).
fn main() {
    napi_build::setup();
}
