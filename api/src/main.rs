/// Requests allocate on one thread and free on another (the Redis connection's task runs apart
/// from the workers); glibc's allocator spent a fifth of the claim flood's CPU on that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    api::cli::main()
}
