//! The union tree's file: CSV in whichever encoding staff saved it, read whole (a city's tree is a
//! few MB).

use std::io::Read;

use crate::import_text::csv_records;
use domain::members::roster_import::ReadError;
use domain::unions::service::{Record, TreeFile};

pub struct CsvTreeFile;

impl TreeFile for CsvTreeFile {
    fn records(&self, input: Box<dyn Read + Send>) -> Result<Vec<Record>, ReadError> {
        let mut records = Vec::new();
        csv_records(input, |line, fields| {
            records.push((line, fields.map(|f| f.iter().map(|c| (*c).to_owned()).collect())));
            Ok(())
        })?;
        Ok(records)
    }
}
