//! A minimal `.xlsx` writer: one sheet of text and number cells, strings shared as Excel shares
//! them. For the roster template staff download (and the files tests import).

use std::io::{Cursor, Write};

pub enum XlsxCell {
    Text(String),
    Number(f64),
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `A`, `B`, … `Z`, `AA`: the column letters of a 0-based column.
fn column(mut c: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The workbook's bytes: one sheet named `sheet` holding `rows`.
pub fn workbook(sheet: &str, rows: &[Vec<XlsxCell>]) -> anyhow::Result<Vec<u8>> {
    workbook_of(&[(sheet, rows)])
}

/// The workbook's bytes: its sheets in order, each named and holding its rows.
pub fn workbook_of(sheets: &[(&str, &[Vec<XlsxCell>])]) -> anyhow::Result<Vec<u8>> {
    let mut shared: Vec<&str> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut sheet_xml = Vec::new();
    for (_, rows) in sheets {
        let mut data = String::new();
        for (r, row) in rows.iter().enumerate() {
            data.push_str(&format!("<row r=\"{}\">", r + 1));
            for (c, cell) in row.iter().enumerate() {
                let at = format!("{}{}", column(c), r + 1);
                match cell {
                    XlsxCell::Text(s) => {
                        let i = *index.entry(s.as_str()).or_insert_with(|| {
                            shared.push(s.as_str());
                            shared.len() - 1
                        });
                        data.push_str(&format!("<c r=\"{at}\" t=\"s\"><v>{i}</v></c>"));
                    }
                    XlsxCell::Number(n) => data.push_str(&format!("<c r=\"{at}\"><v>{n}</v></c>")),
                }
            }
            data.push_str("</row>");
        }
        sheet_xml.push(data);
    }
    let strings: String =
        shared.iter().map(|s| format!("<si><t xml:space=\"preserve\">{}</t></si>", escape(s))).collect();
    let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let head = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>";
    let n = sheets.len();
    let overrides: String = (1..=n)
        .map(|i| {
            format!(
                "<Override PartName=\"/xl/worksheets/sheet{i}.xml\" \
                 ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            )
        })
        .collect();
    let sheet_list: String = sheets
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            format!("<sheet name=\"{}\" sheetId=\"{id}\" r:id=\"rId{id}\"/>", escape(name), id = i + 1)
        })
        .collect();
    let sheet_rels: String = (1..=n)
        .map(|i| format!("<Relationship Id=\"rId{i}\" Type=\"{rel}/worksheet\" Target=\"worksheets/sheet{i}.xml\"/>"))
        .collect();
    let mut files = vec![
        (
            "[Content_Types].xml".to_owned(),
            format!(
                "{head}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
                 <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
                 <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
                 <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
                 {overrides}\
                 <Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>\
                 </Types>"
            ),
        ),
        (
            "_rels/.rels".to_owned(),
            format!(
                "{head}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/workbook.xml".to_owned(),
            format!("{head}<workbook xmlns=\"{ns}\" xmlns:r=\"{rel}\"><sheets>{sheet_list}</sheets></workbook>"),
        ),
        (
            "xl/_rels/workbook.xml.rels".to_owned(),
            format!(
                "{head}<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 {sheet_rels}<Relationship Id=\"rId{s}\" Type=\"{rel}/sharedStrings\" Target=\"sharedStrings.xml\"/>\
                 </Relationships>",
                s = n + 1
            ),
        ),
        (
            "xl/sharedStrings.xml".to_owned(),
            format!(
                "{head}<sst xmlns=\"{ns}\" count=\"{c}\" uniqueCount=\"{c}\">{strings}</sst>",
                c = shared.len()
            ),
        ),
    ];
    for (i, data) in sheet_xml.iter().enumerate() {
        files.push((
            format!("xl/worksheets/sheet{}.xml", i + 1),
            format!("{head}<worksheet xmlns=\"{ns}\"><sheetData>{data}</sheetData></worksheet>"),
        ));
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        zip.start_file(name, options)?;
        zip.write_all(content.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_excel_does() {
        assert_eq!(
            (column(0), column(25), column(26), column(27), column(701)),
            ("A".into(), "Z".into(), "AA".into(), "AB".into(), "ZZ".into())
        );
    }

    #[test]
    fn what_is_written_reads_back() {
        use calamine::{Data, Reader, Xlsx};
        let rows = vec![
            vec![XlsxCell::Text("姓名".into()), XlsxCell::Text("身份证号".into())],
            vec![XlsxCell::Text("张𬌗 & <x>".into()), XlsxCell::Number(3.20502199003071e17)],
        ];
        let notes = vec![vec![XlsxCell::Text("说明".into())]];
        let bytes = workbook_of(&[("名册", &rows), ("状态说明", &notes)]).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["名册", "状态说明"]);
        assert_eq!(book.worksheet_range("状态说明").unwrap().get_value((0, 0)), Some(&Data::String("说明".into())));
        let range = book.worksheet_range("名册").unwrap();
        assert_eq!(range.get_value((1, 0)), Some(&Data::String("张𬌗 & <x>".into())));
        assert_eq!(range.get_value((1, 1)), Some(&Data::Float(3.20502199003071e17)));
    }
}
