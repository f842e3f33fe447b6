//! contrastive-lab: the binary. On the desktop it is the command line and the app (the
//! [`desktop`] module); built for the web (`web/build.sh`) it starts the browser lab.

#[cfg(not(target_arch = "wasm32"))]
mod desktop;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    desktop::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {
    contrastive_lab::browser::start();
}
