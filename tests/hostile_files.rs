//! Files crafted to be large once decoded are refused, naming the file, within a bounded
//! memory: a gzip bomb of a recording, CBOR length prefixes of 2⁶⁰, a PNG declaring
//! 100 000 × 100 000 pixels, a CSV row of 10⁸ fields, a scenario of 100 MB. Each is given to
//! the real binary, whose peak resident memory is read from the kernel when it exits (`wait4`).
#![cfg(target_os = "linux")]

use contrastive_lab::limits::PEAK_MB;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Run the binary with `args`; its exit status, its stderr and its peak RSS in MB.
// The child is waited for by `wait4`, which also returns what it used.
#[allow(clippy::zombie_processes)]
fn run_measured(args: &[&str]) -> (i32, String, f64) {
    let child = Command::new(env!("CARGO_BIN_EXE_contrastive-lab"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.unwrap_or_else(|| panic!("no stderr"));
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let text = reader.join().unwrap_or_default();
    assert!(libc::WIFEXITED(status), "killed by a signal: {text}");
    // ru_maxrss is in KiB on Linux.
    (
        libc::WEXITSTATUS(status),
        text,
        usage.ru_maxrss as f64 / 1024.0,
    )
}

/// The binary refuses `args`, naming `file`, with exit status 2 and no panic, its peak memory
/// under the stated bound.
fn refused_within_bound(what: &str, args: &[&str], file: &Path) -> f64 {
    let (code, stderr, peak) = run_measured(args);
    println!(
        "{what}: exit {code}, peak RSS {peak:.0} MB: {}",
        stderr.trim()
    );
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.unwrap_or_default();
    assert_eq!(code, 2, "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(
        stderr.contains(&name),
        "{what}: the message names no `{name}`: {stderr}"
    );
    assert!(
        peak < PEAK_MB as f64,
        "{what}: peak RSS {peak:.0} MB, over the bound of {PEAK_MB} MB"
    );
    peak
}

/// `run` on `dataset` for two steps into `out`.
fn train_on<'a>(dataset: &'a str, out: &'a str) -> [&'a str; 8] {
    [
        "run",
        "--dataset",
        dataset,
        "--steps",
        "2",
        "--quiet",
        "--out",
        out,
    ]
}

/// This process's peak RSS in MB.
fn own_peak_mb() -> f64 {
    // SAFETY: an all-zero rusage is a valid value for getrusage to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

fn gzip(parts: &[&[u8]]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for p in parts {
        gz.write_all(p).unwrap_or_else(|e| panic!("{e}"));
    }
    gz.finish().unwrap_or_else(|e| panic!("{e}"))
}

/// A recording's header in CBOR: `{format: "contrastive-lab recording", version: 1}`.
fn recording_header() -> Vec<u8> {
    let mut h = vec![0xa2, 0x66];
    h.extend_from_slice(b"format");
    let format = contrastive_lab::recorded::FORMAT.as_bytes();
    h.push(0x78);
    h.push(format.len() as u8);
    h.extend_from_slice(format);
    h.push(0x67);
    h.extend_from_slice(b"version");
    h.push(0x01);
    h
}

#[test]
fn hostile_files_are_refused_naming_them_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("out");
    let out = out.to_string_lossy().into_owned();
    let mut peaks = Vec::new();

    // The files are written in pieces, so that this process stays small: a child's peak RSS
    // as the kernel counts it starts from its parent's (the spawn shares its memory map).
    let baseline = own_peak_mb();
    // A gzip bomb: 2 GB of zeros after a valid header, about 2 MB on disk.
    let bomb = dir.path().join("bomb.clr");
    let header = recording_header();
    let file = std::fs::File::create(&bomb).unwrap_or_else(|e| panic!("{e}"));
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    gz.write_all(&header).unwrap_or_else(|e| panic!("{e}"));
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..2048 {
        gz.write_all(&zeros).unwrap_or_else(|e| panic!("{e}"));
    }
    gz.finish().unwrap_or_else(|e| panic!("{e}"));
    let path = bomb.to_string_lossy().into_owned();
    peaks.push(refused_within_bound(
        "gzip bomb",
        &["replay", &path, "--out", &out],
        &bomb,
    ));

    // CBOR length prefixes of 2⁶⁰ where the body's fields are read: the scenario's text (as a
    // text and as bytes), the snapshots' array, and the body as a map of 2⁶⁰ entries.
    let huge = (1u64 << 60).to_be_bytes();
    let field = |name: &str, major: u8| {
        let mut b = vec![0xa1, 0x60 + name.len() as u8];
        b.extend_from_slice(name.as_bytes());
        b.push(major);
        b.extend_from_slice(&huge);
        b
    };
    let mut map = vec![0xbb];
    map.extend_from_slice(&huge);
    map.extend_from_slice(&[0x68]);
    map.extend_from_slice(b"scenario");
    map.extend_from_slice(&[0x61, b'x']);
    for (kind, mut body) in [
        ("text", field("scenario", 0x7b)),
        ("bytes", field("scenario", 0x5b)),
        ("array", field("snapshots", 0x9b)),
        ("map", map),
    ] {
        let file = dir.path().join(format!("prefix-{kind}.clr"));
        body.extend_from_slice(&[0x00; 64]);
        std::fs::write(&file, gzip(&[&header, &body])).unwrap_or_else(|e| panic!("{e}"));
        let path = file.to_string_lossy().into_owned();
        peaks.push(refused_within_bound(
            &format!("CBOR {kind} of length 2^60"),
            &["replay", &path, "--out", &out],
            &file,
        ));
    }

    // A PNG declaring 100 000 × 100 000 RGB pixels (30 GB decoded), beside a readable one.
    let images = dir.path().join("images");
    for class in ["huge", "small"] {
        std::fs::create_dir_all(images.join(class)).unwrap_or_else(|e| panic!("{e}"));
    }
    let png = images.join("huge").join("declared-huge.png");
    std::fs::write(&png, png_declaring(100_000, 100_000)).unwrap_or_else(|e| panic!("{e}"));
    let dataset = format!("folder:{}", images.to_string_lossy());
    peaks.push(refused_within_bound(
        "PNG of 100 000 × 100 000",
        &train_on(&dataset, &out),
        &png,
    ));

    // A CSV whose second row has 10⁸ fields.
    let wide = dir.path().join("wide.csv");
    let mut file = std::fs::File::create(&wide).unwrap_or_else(|e| panic!("{e}"));
    file.write_all(b"x,y,label\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let commas = vec![b','; 1_000_000];
    for _ in 0..100 {
        file.write_all(&commas).unwrap_or_else(|e| panic!("{e}"));
    }
    file.write_all(b"\n").unwrap_or_else(|e| panic!("{e}"));
    drop(file);
    let dataset = format!("csv:{}", wide.to_string_lossy());
    peaks.push(refused_within_bound(
        "CSV row of 10^8 fields",
        &train_on(&dataset, &out),
        &wide,
    ));

    // A scenario of 100 MB (a comment line repeated).
    let big = dir.path().join("big-scenario.toml");
    let mut file = std::fs::File::create(&big).unwrap_or_else(|e| panic!("{e}"));
    let line = format!("# {}\n", "x".repeat(1000));
    for _ in 0..100_000 {
        file.write_all(line.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    drop(file);
    let path = big.to_string_lossy().into_owned();
    peaks.push(refused_within_bound(
        "scenario of 100 MB",
        &[
            "run", "--config", &path, "--steps", "2", "--quiet", "--out", &out,
        ],
        &big,
    ));

    let worst = peaks.iter().cloned().fold(0.0, f64::max);
    println!(
        "{} hostile files refused; the highest peak RSS {worst:.0} MB (bound {PEAK_MB} MB; this test process's own peak, which a child's count starts from, {baseline:.0} MB before writing the files, {:.0} MB after)",
        peaks.len(),
        own_peak_mb()
    );
}

/// A PNG whose header declares `width × height` RGB pixels, with one tiny IDAT chunk.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    let idat = gzip_zlib(&[0u8; 64]);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn gzip_zlib(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(data).unwrap_or_else(|e| panic!("{e}"));
    z.finish().unwrap_or_else(|e| panic!("{e}"))
}
