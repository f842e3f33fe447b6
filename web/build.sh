#!/usr/bin/env bash
# Build the browser lab (README, "In a browser"): the app itself compiled for wasm32, training
# on Burn's flex backend in the page. Writes
#   dist/index.html, dist/contrastive-lab.js, dist/contrastive-lab_bg.wasm   for any static host
#   dist/contrastive-lab.html   one self-contained file (script and wasm inlined): opens from
#                               file://, offline, from a USB stick
# It installs nothing: it checks for what it needs and says how to get what is missing.
#   WEB_TARGET_DIR   where cargo builds (default: $CARGO_TARGET_DIR/wasm, or target/wasm)
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
# 1. A Rust toolchain that builds for wasm32: rustup's target when it is installed, else
#    Debian's rustc-web route (its std source builds std for the target: -Zbuild-std).
build_std=()
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustc_bin=$(rustup which rustc)
  cargo_bin=$(rustup which cargo)
elif [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/src/rust/library ]; then
  rustc_bin=/usr/bin/rustc
  cargo_bin=/usr/bin/cargo
  build_std=(-Zbuild-std=std,panic_abort)
  export RUSTC_BOOTSTRAP=1
else
  missing+=("a Rust toolchain for wasm32: 'rustup target add wasm32-unknown-unknown', or Debian's 'apt-get install rustc-web cargo-web rust-web-src' (bookworm-security)")
fi
# The linker: rustup's rust-lld (any rustup toolchain has it), else LLVM's wasm-ld.
lld=""
if command -v rustc >/dev/null; then
  candidate="$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"
  [ -x "$candidate" ] && lld=$candidate
fi
[ -z "$lld" ] && lld=$(command -v wasm-ld-22 || command -v wasm-ld || true)
[ -z "$lld" ] && missing+=("a wasm linker: rustup's rust-lld, or Debian's 'apt-get install lld-22'")
# 2. wasm-bindgen-cli at the version Cargo.lock pins (the glue must match the crate).
want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  missing+=("wasm-bindgen-cli $want (found: ${have:-none}): 'cargo install wasm-bindgen-cli --version $want'")
fi
for tool in gzip base64; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "web/build.sh: missing what the browser build needs:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi

target_dir=${WEB_TARGET_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/wasm}
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$lld
# getrandom's browser backend; wasm SIMD (every browser of the last years has it).
export RUSTFLAGS='--cfg getrandom_backend="wasm_js" -C target-feature=+simd128'
RUSTC=$rustc_bin CARGO_TARGET_DIR=$target_dir "$cargo_bin" build --release \
  --target wasm32-unknown-unknown "${build_std[@]}" --bin contrastive-lab

out=dist
mkdir -p "$out"
wasm-bindgen --target no-modules --no-typescript --out-dir "$out" \
  --out-name contrastive-lab "$target_dir/wasm32-unknown-unknown/release/contrastive-lab.wasm"

# dist/index.html: the page, its script and wasm beside it.
page=web/page.html
{
  sed -n '1,/<!--LAB-SCRIPT-->/p' "$page" | sed '$d'
  echo '<script src="contrastive-lab.js"></script>'
  sed -n '/<!--LAB-SCRIPT-->/,/<!--LAB-START-->/p' "$page" | sed '1d;$d'
  echo "<script>startLab('contrastive-lab_bg.wasm');</script>"
  sed -n '/<!--LAB-START-->/,$p' "$page" | sed '1d'
} > "$out/index.html"

# dist/contrastive-lab.html: the same page with the script and the wasm (gzipped, base64)
# inside; the browser inflates it (DecompressionStream).
{
  sed -n '1,/<!--LAB-SCRIPT-->/p' "$page" | sed '$d'
  echo '<script>'
  cat "$out/contrastive-lab.js"
  echo '</script>'
  sed -n '/<!--LAB-SCRIPT-->/,/<!--LAB-START-->/p' "$page" | sed '1d;$d'
  printf '<script type="application/octet-stream" id="lab-wasm">'
  gzip -9 -n -c "$out/contrastive-lab_bg.wasm" | base64 -w0
  echo '</script>'
  cat <<'JS'
<script>
startLab((async () => {
  const text = document.getElementById('lab-wasm').textContent;
  const packed = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream('gzip'));
  return await new Response(stream).arrayBuffer();
})());
</script>
JS
  sed -n '/<!--LAB-START-->/,$p' "$page" | sed '1d'
} > "$out/contrastive-lab.html"

size() { du -b "$1" | awk '{printf "%.1f MB", $1 / 1e6}'; }
echo "web/build.sh: $out/contrastive-lab.html ($(size "$out/contrastive-lab.html")), $out/index.html + contrastive-lab.js + contrastive-lab_bg.wasm ($(size "$out/contrastive-lab_bg.wasm"))"
