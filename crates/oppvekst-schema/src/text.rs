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

/// A count as a person writes it: digits, optionally grouped by spaces (`1 234`) and with a
/// decimal part of zeros (`12,0`). `Ok(None)` for a blank field; otherwise `Err` with what is
/// wrong, in words that never repeat the value: a decimal part (`2,5`), scientific notation
/// (`1e2`), a sign, or anything else that is not a plain whole number (`0x10`, `tolv`).
pub fn whole_count(s: &str) -> Result<Option<u64>, &'static str> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    if t.is_empty() {
        return Ok(None);
    }
    if t.starts_with('-') && parse_decimal(&t).is_some() {
        return Err("count is negative");
    }
    let (whole, fraction) = match t.find([',', '.']) {
        Some(p) => (&t[..p], Some(&t[p + 1..])),
        None => (t.as_str(), None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if digits(whole) {
        match fraction {
            None => {}
            Some(f) if !f.is_empty() && f.bytes().all(|b| b == b'0') => {}
            Some(f) if digits(f) => {
                return Err("count has a decimal part (counts are whole numbers)");
            }
            Some(_) if t.contains(['e', 'E']) => {
                return Err("count in scientific notation (write it as a plain whole number)");
            }
            Some(_) => return Err("count is not a number"),
        }
        return whole.parse().map(Some).map_err(|_| "count is too large");
    }
    if parse_decimal(&t).is_some() && t.contains(['e', 'E']) && !t.starts_with(['e', 'E']) {
        return Err("count in scientific notation (write it as a plain whole number)");
    }
    if t.starts_with('+') && digits(&t[1..]) {
        return Err("count has a sign (counts are plain whole numbers)");
    }
    if t.len() > 2 && t[..2].eq_ignore_ascii_case("0x") {
        return Err("count is not a plain whole number (digits only, no hexadecimal)");
    }
    Err("count is not a number")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_plain_whole_numbers() {
        assert_eq!(whole_count(" 12 "), Ok(Some(12)));
        assert_eq!(whole_count("1 234"), Ok(Some(1234)));
        assert_eq!(whole_count("12,0"), Ok(Some(12)));
        assert_eq!(whole_count(""), Ok(None));
        assert_eq!(
            whole_count("2,5"),
            Err("count has a decimal part (counts are whole numbers)")
        );
        for sci in ["1e2", "1E2", "1.5e3", "1,0e2"] {
            assert_eq!(
                whole_count(sci),
                Err("count in scientific notation (write it as a plain whole number)"),
                "{sci}"
            );
        }
        assert_eq!(
            whole_count("0x10"),
            Err("count is not a plain whole number (digits only, no hexadecimal)")
        );
        assert_eq!(whole_count("tolv"), Err("count is not a number"));
        assert_eq!(whole_count("#"), Err("count is not a number"));
        assert_eq!(whole_count("-1"), Err("count is negative"));
        assert_eq!(
            whole_count("+5"),
            Err("count has a sign (counts are plain whole numbers)")
        );
    }

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
