//! `csv:PATH`: your own vectors, one sample per row: numeric feature columns and a label column
//! (the column headed `label`, `class`, `target` or `y`, else the last one). A header row is
//! recognised by a non-numeric feature field. Features are standardised per column (so the
//! augmentation's noise means the same for every column) and augmented like `blobs`: Gaussian
//! noise, feature masking and a random scale, each growing with the augmentation strength.
//! Malformed rows (wrong field count, a non-numeric or non-finite feature, an empty label) are
//! skipped and counted in the warning; a file with fewer than [`MIN_ROWS`] usable rows is
//! refused.

use super::{InputKind, Source};
use crate::error::{LabError, Result};
use crate::rng::Rng;
use std::path::{Path, PathBuf};

/// Fewest usable rows a file must have (the probe needs a few points to project).
pub const MIN_ROWS: usize = 4;

/// Header names taken as the label column (case-insensitive).
pub const LABEL_HEADERS: [&str; 4] = ["label", "class", "target", "y"];

pub struct CsvVectors {
    path: PathBuf,
    dim: usize,
    /// `[n, dim]` standardised features.
    data: Vec<f32>,
    labels: Vec<usize>,
    names: Vec<String>,
    /// Malformed rows: how many, and the first with its line number and why.
    skipped: usize,
    first_skipped: Option<(usize, String)>,
}

/// The file's separator: the one of `,` `;` tab that splits its first data line (quotes
/// respected) into the most fields.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|&d| {
            csv::ReaderBuilder::new()
                .delimiter(d)
                .has_headers(false)
                .from_reader(first.as_bytes())
                .records()
                .next()
                .and_then(|r| r.ok())
                .map_or(0, |r| r.len())
        })
        .unwrap_or(b',')
}

/// Every record of the text with its line number (quoted fields, a BOM, CRLF and `#` comment
/// lines as the `csv` crate reads them), or why a line could not be read.
fn records(text: &str) -> Vec<(usize, std::result::Result<Vec<String>, String>)> {
    csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(text))
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| match r {
            Ok(r) => (
                r.position().map_or(0, |p| p.line() as usize),
                Ok(r.iter().map(str::to_string).collect::<Vec<String>>()),
            ),
            Err(e) => (
                e.position().map_or(0, |p| p.line() as usize),
                Err(e.to_string()),
            ),
        })
        .filter(|(_, r)| !matches!(r, Ok(fields) if fields.iter().all(|f| f.is_empty())))
        .collect()
}

impl CsvVectors {
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::limits::read_text(path, crate::limits::MAX_CSV_BYTES, "CSV of vectors")
            .map_err(|e| LabError::Dataset(e.to_string()))?;
        Self::parse(&text, path)
    }

    /// Parse the text of a file at `path` (named in messages).
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let where_ = path.display();
        crate::limits::check_csv_lines(text, path)?;
        let mut lines = records(text).into_iter();
        let Some((first_no, first)) = lines.next() else {
            return Err(LabError::Dataset(format!("{where_} is empty")));
        };
        let fields =
            first.map_err(|e| LabError::Dataset(format!("{where_}: line {first_no}: {e}")))?;
        if fields.len() < 2 {
            return Err(LabError::Dataset(format!(
                "{where_}: line {first_no} has {} field(s); each row needs at least one numeric column and a label column, separated by commas",
                fields.len()
            )));
        }
        let named_label = fields
            .iter()
            .position(|f| LABEL_HEADERS.contains(&f.to_ascii_lowercase().as_str()));
        let label_col = named_label.unwrap_or(fields.len() - 1);
        let is_header = named_label.is_some()
            || fields
                .iter()
                .enumerate()
                .any(|(c, f)| c != label_col && f.parse::<f64>().is_err());
        let width = fields.len();
        let dim = width - 1;
        let mut rows: Vec<(Vec<f64>, String)> = Vec::new();
        let (mut skipped, mut first_skipped) = (0, None);
        let body = (!is_header)
            .then_some((first_no, Ok(fields)))
            .into_iter()
            .chain(lines);
        for (no, record) in body {
            match record.and_then(|fields| parse_row(&fields, width, label_col)) {
                Ok(row) => rows.push(row),
                Err(why) => {
                    skipped += 1;
                    first_skipped.get_or_insert((no, why));
                }
            }
        }
        if rows.len() < MIN_ROWS {
            let why = first_skipped
                .as_ref()
                .map(|(no, why)| format!(" (first malformed: line {no}: {why})"))
                .unwrap_or_default();
            return Err(LabError::Dataset(format!(
                "{where_} has {} usable row(s), {skipped} malformed{why}; it needs at least {MIN_ROWS}: numeric columns and a label column (headed label/class/target/y, or the last)",
                rows.len()
            )));
        }
        // Classes in order of first appearance.
        let mut names: Vec<String> = Vec::new();
        let labels = rows
            .iter()
            .map(|(_, l)| match names.iter().position(|n| n == l) {
                Some(k) => k,
                None => {
                    names.push(l.clone());
                    names.len() - 1
                }
            })
            .collect();
        Ok(Self {
            path: path.to_path_buf(),
            dim,
            data: standardise(&rows, dim),
            labels,
            names,
            skipped,
            first_skipped,
        })
    }
}

/// One data row: its features and its label, or why it is malformed.
fn parse_row(
    fields: &[String],
    width: usize,
    label_col: usize,
) -> std::result::Result<(Vec<f64>, String), String> {
    if fields.len() != width {
        return Err(format!("{} fields, expected {width}", fields.len()));
    }
    let label = &fields[label_col];
    if label.is_empty() {
        return Err("empty label".into());
    }
    let features = fields
        .iter()
        .enumerate()
        .filter(|(c, _)| *c != label_col)
        .map(|(_, f)| {
            f.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("'{f}' is not a finite number"))
        })
        .collect::<std::result::Result<Vec<f64>, String>>()?;
    Ok((features, label.clone()))
}

/// Each column to mean 0 and standard deviation 1 (a constant column to 0).
fn standardise(rows: &[(Vec<f64>, String)], dim: usize) -> Vec<f32> {
    let n = rows.len() as f64;
    let mut out = Vec::with_capacity(rows.len() * dim);
    let stats: Vec<(f64, f64)> = (0..dim)
        .map(|c| {
            let mean = rows.iter().map(|(x, _)| x[c]).sum::<f64>() / n;
            let var = rows.iter().map(|(x, _)| (x[c] - mean).powi(2)).sum::<f64>() / n;
            (mean, var.sqrt())
        })
        .collect();
    for (x, _) in rows {
        out.extend(x.iter().zip(&stats).map(|(v, (mean, sd))| {
            if *sd > 0.0 {
                ((v - mean) / sd) as f32
            } else {
                0.0
            }
        }));
    }
    out
}

impl Source for CsvVectors {
    fn name(&self) -> String {
        format!("csv:{}", self.path.display())
    }

    fn input(&self) -> InputKind {
        InputKind::Vector { dim: self.dim }
    }

    fn class_names(&self) -> &[String] {
        &self.names
    }

    fn len(&self) -> usize {
        self.labels.len()
    }

    fn base(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    fn label(&self, i: usize) -> usize {
        self.labels[i]
    }

    /// Blobs' recipe on standardised columns: noise σ = 0.25·s, each feature masked with
    /// probability 0.1·s (at most 0.5), the whole row scaled by a factor in 1 ± 0.2·s.
    fn view(&self, i: usize, rng: &mut Rng, strength: f32) -> Vec<f32> {
        let s = strength.max(0.0);
        let mask_p = (0.1 * s).min(0.5);
        let scale = rng.range((1.0 - 0.2 * s).max(0.2), 1.0 + 0.2 * s);
        self.base(i)
            .iter()
            .map(|&x| {
                let x = (x + 0.25 * s * rng.normal()) * scale;
                if rng.chance(mask_p) { 0.0 } else { x }
            })
            .collect()
    }

    fn warning(&self) -> Option<String> {
        let (line, why) = self.first_skipped.as_ref()?;
        Some(format!(
            "{} malformed row(s) skipped in {} (first: line {line}: {why})",
            self.skipped,
            self.path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CsvVectors> {
        CsvVectors::parse(text, Path::new("test.csv"))
    }

    #[test]
    fn header_label_column_and_malformed_rows() {
        let v = parse("a,label,b\n1,cat,2\n3,dog,4\n5,cat,x\n7,dog\n9,cat,10\n11,,12\n13,dog,14\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.len(), 4);
        assert_eq!(v.input().len(), 2);
        assert_eq!(v.class_names(), ["cat", "dog"]);
        assert_eq!((0..4).map(|i| v.label(i)).collect::<Vec<_>>(), [0, 1, 0, 1]);
        let warning = v.warning().unwrap_or_default();
        assert!(warning.starts_with("3 malformed row(s)"), "{warning}");
        assert!(warning.contains("line 4"), "{warning}");
        // Standardised columns: mean 0, std 1.
        let col0: Vec<f32> = (0..4).map(|i| v.base(i)[0]).collect();
        assert!(col0.iter().sum::<f32>().abs() < 1e-5);
        assert!((col0.iter().map(|x| x * x).sum::<f32>() / 4.0 - 1.0).abs() < 1e-5);
    }

    #[test]
    fn no_header_means_last_column_is_the_label() {
        let v =
            parse("0.1;0.2;1\n0.3;0.1;2\n0.5;0.5;1\n0.9;0.0;2\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((v.len(), v.input().len()), (4, 2));
        assert!(v.warning().is_none());
    }

    #[test]
    fn real_files_habits_quotes_a_bom_crlf_and_separators_in_quoted_names() {
        // A BOM, CRLF line ends, quoted fields with the separator and a doubled quote inside.
        let text = "\u{feff}\"x\",\"w\",\"class\"\r\n1,2,\"salt, pepper\"\r\n3,4,\"say \"\"hi\"\"\"\r\n\
                    5,6,\"salt, pepper\"\r\n7,8,\"say \"\"hi\"\"\"\r\n";
        let v = parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.class_names(), ["salt, pepper", "say \"hi\""]);
        assert_eq!((v.len(), v.input().len()), (4, 2));
        assert!(v.warning().is_none(), "{:?}", v.warning());
        // `;` separators with decimal points, a tab-separated file, a `#` comment line.
        let v = parse("# measured\na;b;label\n1.5;2;p\n3;4;q\n5;6;p\n7;8;q\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((v.len(), v.class_names().len()), (4, 2));
        let v = parse("1\t2\tp\n3\t4\tq\n5\t6\tp\n7\t8\tq\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.input().len(), 2);
        // A quoted label holding the separator is one field; a row with one field too many is
        // malformed and counted.
        let v = parse("a,b,label\n1,2,\"p,q\"\n3,4,q\n5,6,\"p,q\"\n7,8,q\n9,10,11,r\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (v.len(), v.class_names()),
            (4, &["p,q".to_string(), "q".to_string()][..])
        );
        assert!(v.warning().is_some_and(|w| w.starts_with("1 malformed")));
    }

    #[test]
    fn unusable_files_are_refused_with_the_reason() {
        for (text, says) in [
            ("", "is empty"),
            ("1\n2\n3\n", "needs at least one numeric column"),
            ("a,b,label\nx,y,1\nz,w,2\n", "0 usable row(s), 2 malformed"),
            ("1,2,a\n3,4,b\n", "2 usable row(s)"),
        ] {
            let e = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(says), "{text:?}: {e}");
            assert!(e.contains("test.csv"), "{e}");
        }
    }
}
