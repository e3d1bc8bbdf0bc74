// The migrations are embedded in the binary: a new one must rebuild this crate.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
