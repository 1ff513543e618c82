//! Decoding of CSV exports as they arrive in Norway: UTF-8 with or without BOM, or
//! Windows-1252/Latin-1 from older Excel; `;` or `,` separated.
//!
//! Detection: a UTF-8 BOM means UTF-8; a file that is valid UTF-8 is UTF-8; otherwise it is
//! Windows-1252 (a superset of Latin-1 for printable text). A file that mixes both is decoded
//! line by line and the lines in the minority encoding are reported, so the caller can
//! quarantine them rather than import garbled text.

use encoding_rs::WINDOWS_1252;

/// Text encoding of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 (BOM optional).
    Utf8,
    /// Windows-1252 / ISO-8859-1.
    Windows1252,
}

impl Encoding {
    /// Short name for summaries.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252",
        }
    }

    /// Parses a config value (`utf-8`, `windows-1252`, `latin-1`, `iso-8859-1`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => {
                Some(Encoding::Windows1252)
            }
            _ => None,
        }
    }
}

/// A decoded file.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text, BOM removed, line endings normalised to `\n`.
    pub text: String,
    /// The encoding used for the file as a whole.
    pub encoding: Encoding,
    /// Whether a UTF-8 BOM was present.
    pub bom: bool,
    /// 1-based line numbers whose bytes did not fit the file's encoding (mixed encodings).
    pub bad_lines: Vec<u64>,
}

/// Decodes `bytes`, detecting the encoding unless `declared` is given.
pub fn decode(bytes: &[u8], declared: Option<Encoding>) -> Decoded {
    let (bom, body) = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let encoding = match declared {
        Some(e) => e,
        None if bom => Encoding::Utf8,
        None => match std::str::from_utf8(body) {
            Ok(_) => Encoding::Utf8,
            Err(_) => majority(body),
        },
    };
    let mut text = String::with_capacity(body.len() + body.len() / 16);
    let mut bad_lines = Vec::new();
    match encoding {
        Encoding::Utf8 => match std::str::from_utf8(body) {
            Ok(s) => text.push_str(s),
            Err(_) => {
                for (i, line) in body.split_inclusive(|b| *b == b'\n').enumerate() {
                    match std::str::from_utf8(line) {
                        Ok(s) => text.push_str(s),
                        Err(_) => {
                            bad_lines.push(i as u64 + 1);
                            text.push_str(&String::from_utf8_lossy(line));
                        }
                    }
                }
            }
        },
        Encoding::Windows1252 => {
            for (i, line) in body.split_inclusive(|b| *b == b'\n').enumerate() {
                if looks_utf8_multibyte(line) {
                    bad_lines.push(i as u64 + 1);
                }
                text.push_str(&WINDOWS_1252.decode_without_bom_handling(line).0);
            }
        }
    }
    // CRLF → LF: Excel writes CRLF, and line numbers in errors must count lines as an editor does.
    if text.contains('\r') {
        text = text.replace("\r\n", "\n");
    }
    Decoded {
        text,
        encoding,
        bom,
        bad_lines,
    }
}

/// The encoding of most non-ASCII lines of `body`: UTF-8 when every such line is valid
/// UTF-8 or most are, otherwise Windows-1252 (also on a tie). Text with no non-ASCII line
/// reads the same either way; it gets UTF-8.
pub fn majority(body: &[u8]) -> Encoding {
    let (mut utf8, mut other) = (0usize, 0usize);
    for line in body.split(|b| *b == b'\n') {
        if line.is_ascii() {
            continue;
        }
        if std::str::from_utf8(line).is_ok() {
            utf8 += 1;
        } else {
            other += 1;
        }
    }
    if other == 0 || utf8 > other {
        Encoding::Utf8
    } else {
        Encoding::Windows1252
    }
}

/// True when a line is valid UTF-8 and contains multi-byte sequences: in a Windows-1252 file
/// such a line would decode to mojibake like `Ã¸`.
pub fn looks_utf8_multibyte(line: &[u8]) -> bool {
    !line.is_ascii() && std::str::from_utf8(line).is_ok()
}

/// Guesses the field separator from the header line: `;`, `,` or tab, whichever is most common.
pub fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let counts = [b';', b',', b'\t'].map(|d| (header.bytes().filter(|b| *b == d).count(), d));
    counts
        .iter()
        .max_by_key(|(n, d)| (*n, *d == b';'))
        .map(|(_, d)| *d)
        .unwrap_or(b';')
}

/// A reader positioned after the header, the header and the delimiter.
pub type TableReader<'a> = (csv::Reader<&'a [u8]>, Vec<String>, u8);

/// Opens decoded CSV text as a flexible reader (rows of any width, so the caller can
/// quarantine a row with the wrong number of fields), with the delimiter given or detected
/// from the header line. Returns the reader after the header, the header and the delimiter.
pub fn table_reader(text: &str, delimiter: Option<u8>) -> Result<TableReader<'_>, csv::Error> {
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(text));
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = rdr.headers()?.iter().map(str::to_owned).collect();
    Ok((rdr, header, delimiter))
}

/// Parses a number written with a decimal comma or point (`14,8`, `14.8`, `1 234,5`).
pub fn parse_decimal(s: &str) -> Option<f64> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}'))
        .collect();
    if t.is_empty() {
        return None;
    }
    t.replace(',', ".").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_encoding_and_keeps_aeoeaa() {
        let utf8 = "kommune;navn\n3107;Fæøå\n";
        let d = decode(utf8.as_bytes(), None);
        assert_eq!(
            (d.encoding, d.bom, d.text.as_str()),
            (Encoding::Utf8, false, utf8)
        );
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(utf8.as_bytes());
        let d = decode(&bom, None);
        assert_eq!(
            (d.encoding, d.bom, d.text.as_str()),
            (Encoding::Utf8, true, utf8)
        );
        let cp = WINDOWS_1252.encode(utf8).0.into_owned();
        assert_ne!(cp, utf8.as_bytes());
        let d = decode(&cp, None);
        assert_eq!((d.encoding, d.text.as_str()), (Encoding::Windows1252, utf8));
        assert!(d.bad_lines.is_empty());
    }

    #[test]
    fn mixed_encodings_report_the_minority_lines() {
        let mut bytes = WINDOWS_1252.encode("a;b\nø;1\nå;2\n").0.into_owned();
        bytes.extend_from_slice("æ;3\n".as_bytes());
        let d = decode(&bytes, None);
        assert_eq!(d.encoding, Encoding::Windows1252);
        assert_eq!(d.bad_lines, vec![4]);
    }

    #[test]
    fn delimiters_and_decimals() {
        assert_eq!(detect_delimiter("a;b;c\n1,2;3;4"), b';');
        assert_eq!(detect_delimiter("a,b,c\n"), b',');
        assert_eq!(detect_delimiter("a\tb\n"), b'\t');
        assert_eq!(parse_decimal("14,8"), Some(14.8));
        assert_eq!(parse_decimal("1 234,5"), Some(1234.5));
        assert_eq!(parse_decimal(""), None);
        assert_eq!(Encoding::parse("Latin-1"), Some(Encoding::Windows1252));
    }
}
