//! What the files union staff upload are written in: UTF-8 (with or without a BOM), UTF-16 with a
//! BOM (Excel's "Unicode text"), or GB18030/GBK (Excel's "CSV (逗号分隔)" on a Chinese Windows).
//! The encoding is decided once, from the file's start, and the rest is decoded as it streams in
//! (`encoding_rs`, the decoder browsers use); a file in none of them is one clear refusal. Line
//! ends come out as `\n` (Excel writes `\r\n`), so lines are counted alike whichever was used.

use encoding_rs::{CoderResult, Decoder, Encoding, GB18030, UTF_8};
use std::io::{self, Read};

use domain::members::roster_import::ReadError;
use domain::shared::import::Refusal;

/// How much of the start decides between UTF-8 and GB18030.
const SNIFF: usize = 64 * 1024;

/// Reads `input` as UTF-8, whatever it was written in.
pub struct Decoded<R> {
    input: R,
    decoder: Decoder,
    /// Bytes read but not yet decoded (the sniffed start, then each chunk).
    pending: Vec<u8>,
    at: usize,
    done_reading: bool,
    /// The decoder was told the input ended (and flushed).
    finished: bool,
    /// Decoded bytes not yet handed out.
    out: Vec<u8>,
    out_at: usize,
    /// A `\r` that ended the last output, not yet known to start a `\r\n`.
    held_cr: bool,
    pub encoding: &'static Encoding,
}

/// Decides the encoding from the start of `input`. Refused: a start that is neither UTF-8 nor
/// GB18030 (a binary file, an `.xlsx` sent as CSV, UTF-16 without its BOM).
pub fn decoded<R: Read>(mut input: R) -> Result<Decoded<R>, DecodeError> {
    let mut start = Vec::with_capacity(SNIFF);
    (&mut input).take(SNIFF as u64).read_to_end(&mut start).map_err(DecodeError::Io)?;
    let (encoding, bom) = match Encoding::for_bom(&start) {
        Some((encoding, bom)) => (encoding, bom),
        None if start.starts_with(b"PK\x03\x04") => return Err(DecodeError::Refused(spreadsheet())),
        None if looks_utf16(&start) => return Err(DecodeError::Refused(utf16_without_bom())),
        None if utf8_prefix(&start, start.len() < SNIFF) => (UTF_8, 0),
        None if GB18030.decode_without_bom_handling_and_without_replacement(trim_partial_gb(&start)).is_some() => {
            (GB18030, 0)
        }
        None => return Err(DecodeError::Refused(unknown_encoding())),
    };
    Ok(Decoded {
        input,
        decoder: encoding.new_decoder_without_bom_handling(),
        pending: start,
        at: bom,
        done_reading: false,
        finished: false,
        out: Vec::new(),
        out_at: 0,
        held_cr: false,
        encoding,
    })
}

#[derive(Debug)]
pub enum DecodeError {
    Io(io::Error),
    Refused(Refusal),
}

fn spreadsheet() -> Refusal {
    Refusal::file(
        "这是 Excel 工作簿（.xlsx），请按 .xlsx 上传，或在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
        "this is an Excel workbook (.xlsx): upload it as .xlsx, or save it as CSV UTF-8 in Excel",
    )
}

fn utf16_without_bom() -> Refusal {
    Refusal::file(
        "文件像是没有 BOM 的 UTF-16 文本，无法确定字节序；请另存为“CSV UTF-8（逗号分隔）”",
        "the file looks like UTF-16 without a byte-order mark; save it as CSV UTF-8",
    )
}

fn unknown_encoding() -> Refusal {
    Refusal::file(
        "无法识别文件编码：支持 UTF-8（可带 BOM）、GB18030/GBK 和带 BOM 的 UTF-16；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
        "the file is in none of the encodings taken: UTF-8 (with or without BOM), GB18030/GBK, UTF-16 with BOM; \
         save it as CSV UTF-8",
    )
}

/// A NUL in every other byte of text: UTF-16 without a BOM.
fn looks_utf16(start: &[u8]) -> bool {
    let sample = &start[..start.len().min(512)];
    sample.len() >= 8 && sample.iter().filter(|b| **b == 0).count() * 3 >= sample.len()
}

/// Valid UTF-8, allowing a character cut by the end of the sample unless the sample is the file.
fn utf8_prefix(start: &[u8], whole: bool) -> bool {
    match std::str::from_utf8(start) {
        Ok(_) => true,
        Err(e) => !whole && e.error_len().is_none(),
    }
}

/// The sample without a trailing partial GB18030 sequence (up to three bytes).
fn trim_partial_gb(start: &[u8]) -> &[u8] {
    for cut in 0..=3.min(start.len()) {
        let s = &start[..start.len() - cut];
        if GB18030.decode_without_bom_handling_and_without_replacement(s).is_some() {
            return s;
        }
    }
    start
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_at < self.out.len() {
                let n = buf.len().min(self.out.len() - self.out_at);
                buf[..n].copy_from_slice(&self.out[self.out_at..self.out_at + n]);
                self.out_at += n;
                return Ok(n);
            }
            if self.finished {
                return Ok(0);
            }
            if self.at >= self.pending.len() && !self.done_reading {
                self.pending.resize(SNIFF, 0);
                let n = self.input.read(&mut self.pending)?;
                self.pending.truncate(n);
                self.at = 0;
                self.done_reading = n == 0;
            }
            self.out.clear();
            self.out_at = 0;
            let src = &self.pending[self.at..];
            let room = self.decoder.max_utf8_buffer_length(src.len()).unwrap_or(src.len() * 3 + 16);
            self.out.resize(room, 0);
            // A byte sequence not valid in the encoding becomes U+FFFD, which no roster cell takes.
            let (result, read, written, _) = self.decoder.decode_to_utf8(src, &mut self.out, self.done_reading);
            debug_assert!(matches!(result, CoderResult::InputEmpty));
            self.at += read;
            self.out.truncate(written);
            self.finished = self.done_reading && self.at >= self.pending.len();
            self.fold_crlf();
        }
    }
}

impl<R> Decoded<R> {
    /// `\r\n` → `\n` in the decoded output, across chunk ends; a lone `\r` stays.
    fn fold_crlf(&mut self) {
        let mut folded = Vec::with_capacity(self.out.len() + 1);
        if std::mem::take(&mut self.held_cr) && self.out.first() != Some(&b'\n') {
            folded.push(b'\r');
        }
        let mut bytes = self.out.iter().peekable();
        while let Some(&b) = bytes.next() {
            match (b, bytes.peek()) {
                (b'\r', Some(b'\n')) => {}
                (b'\r', None) if !self.finished => self.held_cr = true,
                _ => folded.push(b),
            }
        }
        self.out = folded;
    }
}

/// Reads `input` as CSV in whichever encoding it was saved, calling `each` with every record and
/// its line: its cells, or why the line cannot be read (bad quoting is that line's problem, not
/// the file's). A file not in an encoding taken is one refusal.
pub fn csv_records<R: Read>(
    input: R,
    mut each: impl FnMut(u64, Result<&[&str], Refusal>) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    let input = match decoded(input) {
        Ok(input) => input,
        Err(DecodeError::Refused(refusal)) => return Err(ReadError::File(refusal)),
        Err(DecodeError::Io(e)) => return Err(ReadError::Failed(e.into())),
    };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::None).from_reader(input);
    let mut record = csv::StringRecord::new();
    loop {
        let before = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                // The record's own start: the reader's position before it may still point at a
                // blank line skipped on the way.
                let line = record.position().map_or(before, |p| p.line());
                let fields: Vec<&str> = record.iter().collect();
                each(line, Ok(&fields))?;
            }
            Err(e) if !matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                let line = e.position().map_or(before, |p| p.line());
                each(line, Err(Refusal::file("此行无法按 CSV 读取（引号不成对？）", format!("unreadable CSV: {e}"))))?;
            }
            Err(e) => return Err(ReadError::Failed(e.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> Result<(String, &'static str), DecodeError> {
        let mut d = decoded(bytes)?;
        let mut s = String::new();
        d.read_to_string(&mut s).map_err(DecodeError::Io)?;
        Ok((s, d.encoding.name()))
    }

    #[test]
    fn each_encoding_staff_have_is_read() {
        let text = "姓名,身份证号\n张𬌗,11010519491231002X\n";
        let (s, e) = read_all(text.as_bytes()).unwrap();
        assert_eq!((s.as_str(), e), (text, "UTF-8"));
        let (s, _) = read_all(&[b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()).unwrap();
        assert_eq!(s, text, "the BOM is not part of the first header");
        let (gb, _, _) = GB18030.encode(text);
        let (s, e) = read_all(&gb).unwrap();
        assert_eq!((s.as_str(), e), (text, "gb18030"));
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(read_all(&le).unwrap(), (text.to_owned(), "UTF-16LE"));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(read_all(&be).unwrap().0, text);
    }

    #[test]
    fn crlf_becomes_lf_even_across_chunks() {
        let text = "a,b\r\n".repeat(30_000) + "c\rd\r";
        let (s, _) = read_all(text.as_bytes()).unwrap();
        assert_eq!(s, "a,b\n".repeat(30_000) + "c\rd\r");
    }

    #[test]
    fn a_long_gb18030_file_decodes_across_chunks() {
        let line = "欧阳娜娜,11010519491231002X,SZ-001,苏州工业园区总工会,M0001,在会\n";
        let text = line.repeat(5_000);
        let (gb, _, _) = GB18030.encode(&text);
        assert!(gb.len() > SNIFF * 3);
        assert_eq!(read_all(&gb).unwrap().0, text);
    }

    #[test]
    fn what_is_not_text_is_one_refusal() {
        for bytes in [b"PK\x03\x04rest".as_slice(), &[0xFF, 0x00, 0xFE, 0x81, 0x30, 0xFF, 0xFF, 0xFF][..]] {
            assert!(matches!(read_all(bytes), Err(DecodeError::Refused(_))), "{bytes:?}");
        }
        let no_bom: Vec<u8> = "name,id\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let Err(DecodeError::Refused(r)) = read_all(&no_bom) else { panic!("UTF-16 without BOM taken") };
        assert!(r.zh.contains("UTF-16"));
    }
}
