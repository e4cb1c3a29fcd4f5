//! `uniffi-bindgen`, pinned to the UniFFI version of `finconn-ffi`.
//!
//! ```text
//! cargo run -p finconn-bindgen --bin uniffi-bindgen -- \
//!     generate target/debug/libfinconn_ffi.so --language kotlin --config uniffi.toml --out-dir build/kotlin
//! ```
fn main() {
    uniffi::uniffi_bindgen_main()
}
