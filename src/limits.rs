//! What a file may make the process allocate. Every file a user opens (a scenario, a config, a
//! recording, a CSV of vectors, an image) is read through these bounds, so that a file crafted
//! to be large once decoded (a gzip bomb, a length prefix of 2⁶⁰, an image declaring
//! 100 000 × 100 000 pixels, a row of 10⁸ fields) is refused, naming the file, before the
//! process holds more than [`PEAK_MB`] for it.

use crate::error::{LabError, Result};
use std::io::Read;
use std::path::Path;

/// The bound a hostile file is refused under: what reading one may cost the process at most,
/// in MB (tested on each kind of file, measured as the process's peak resident memory).
pub const PEAK_MB: u64 = 512;

/// A scenario, a config or a lesson: text written by hand or by the app.
pub const MAX_TEXT_BYTES: u64 = 16 << 20;

/// A CSV of vectors.
pub const MAX_CSV_BYTES: u64 = 128 << 20;

/// One line of a CSV of vectors (65 536 columns of 16 characters fit).
pub const MAX_CSV_LINE_BYTES: usize = 1 << 20;

/// An image of an image folder: its sides and what decoding it may allocate.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
pub const MAX_IMAGE_ALLOC: u64 = 256 << 20;

/// A recording decodes to at most this many times its compressed size, plus
/// [`RECORDING_SLACK_BYTES`]: the app's recordings compress about 1.2–3 : 1 (embeddings are
/// noisy floats), a gzip bomb 1000 : 1.
pub const MAX_RECORDING_RATIO: u64 = 16;
pub const RECORDING_SLACK_BYTES: u64 = 64 << 20;

fn refused(path: &Path, reason: String) -> LabError {
    LabError::ConfigFile {
        path: path.display().to_string(),
        reason,
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// The bytes of `path`, refused when it is larger than `limit` (its length is checked before
/// it is read, and the read stops at the limit: a file still growing cannot pass it).
pub fn read_bounded(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let too_big = || {
        refused(
            path,
            format!("is larger than a {what} can be ({} at most)", mb(limit)),
        )
    };
    // A file picked in the browser is in memory already (see `browser_files`).
    if crate::browser_files::is_picked(path) {
        let bytes = crate::browser_files::read(path).ok_or_else(|| {
            refused(path, "is not in this page's memory (the browser could not read it, or it was picked in another page): pick it again".into())
        })?;
        if bytes.len() as u64 > limit {
            return Err(too_big());
        }
        return Ok(bytes.to_vec());
    }
    let file = std::fs::File::open(path).map_err(|e| LabError::io(path, e))?;
    let len = file.metadata().map_err(|e| LabError::io(path, e))?.len();
    if len > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LabError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

/// The text of `path` (UTF-8), bounded as [`read_bounded`].
pub fn read_text(path: &Path, limit: u64, what: &str) -> Result<String> {
    let bytes = read_bounded(path, limit, what)?;
    String::from_utf8(bytes)
        .map_err(|_| refused(path, "is not a text file (invalid UTF-8)".to_string()))
}

/// Decompress the gzip `compressed` (the bytes of `path`) into at most
/// `MAX_RECORDING_RATIO × its size + RECORDING_SLACK_BYTES`: a bomb is refused when it
/// reaches the bound, having never held more.
pub fn gunzip_bounded(path: &Path, compressed: &[u8]) -> Result<Vec<u8>> {
    let limit = (compressed.len() as u64)
        .saturating_mul(MAX_RECORDING_RATIO)
        .saturating_add(RECORDING_SLACK_BYTES);
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(compressed)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| refused(path, format!("the file is damaged or cut short ({e})")))?;
    if out.len() as u64 > limit {
        return Err(refused(
            path,
            format!(
                "decompresses to more than {} ({}× its size): not a recording this app wrote",
                mb(limit),
                MAX_RECORDING_RATIO
            ),
        ));
    }
    Ok(out)
}

/// The longest line of `text` must fit [`MAX_CSV_LINE_BYTES`]; `path` names the file.
pub fn check_csv_lines(text: &str, path: &Path) -> Result<()> {
    for (n, line) in text.split('\n').enumerate() {
        if line.len() > MAX_CSV_LINE_BYTES {
            return Err(LabError::Dataset(format!(
                "{}: line {} is {} long, longer than a row can be ({} at most)",
                path.display(),
                n + 1,
                mb(line.len() as u64),
                mb(MAX_CSV_LINE_BYTES as u64)
            )));
        }
    }
    Ok(())
}

/// The limits an image is decoded under.
pub fn image_limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    limits
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_over_its_limit_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("big.toml");
        std::fs::write(&path, vec![b'a'; 2000]).unwrap_or_else(|e| panic!("{e}"));
        let e = read_text(&path, 1000, "scenario")
            .err()
            .map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(
            e.contains("big.toml") && e.contains("larger than a scenario"),
            "{e}"
        );
        assert_eq!(
            read_text(&path, 2000, "scenario").map(|t| t.len()).ok(),
            Some(2000)
        );
    }

    #[test]
    fn a_gzip_bomb_stops_at_its_bound() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..100 {
            gz.write_all(&zeros).unwrap_or_else(|e| panic!("{e}"));
        }
        let bomb = gz.finish().unwrap_or_else(|e| panic!("{e}"));
        assert!(bomb.len() < 200_000, "{}", bomb.len());
        let e = gunzip_bounded(Path::new("bomb.clr"), &bomb)
            .err()
            .map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(
            e.contains("bomb.clr") && e.contains("decompresses to more than"),
            "{e}"
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"a recording")
            .unwrap_or_else(|e| panic!("{e}"));
        let small = gz.finish().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            gunzip_bounded(Path::new("ok.clr"), &small).ok(),
            Some(b"a recording".to_vec())
        );
    }

    #[test]
    fn a_line_longer_than_a_row_can_be_is_refused() {
        let long = "1,".repeat(MAX_CSV_LINE_BYTES / 2 + 1);
        let text = format!("x,label\n{long}\n");
        let e = check_csv_lines(&text, Path::new("wide.csv"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("wide.csv: line 2"), "{e}");
        assert!(check_csv_lines("1,2,a\n3,4,b\n", Path::new("ok.csv")).is_ok());
    }
}
