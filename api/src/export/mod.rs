//! Export archives (R-EXPORT-2, R-EXPORT-3): channel records as CSV or xlsx files of at
//! most 2,000 records each, packed into one ZIP whose entries are AES-256 encrypted
//! (WinZip AE-2) with the user's compression password. Pure: no database, no HTTP.

mod archive;
mod columns;
mod csv;
mod xlsx;

pub use archive::ArchiveWriter;
pub use columns::{header, record, COLUMNS};

/// Records per file of an archive (R-EXPORT-3).
pub const RECORDS_PER_FILE: usize = 2000;

/// Records per task (R-EXPORT-1).
pub const MAX_RECORDS: u64 = 100_000;

/// The file format of the records inside the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// The name of the `n`th file (from 1): `channels-0001.csv`.
    pub fn file_name(self, n: usize) -> String {
        format!("channels-{n:04}.{}", self.as_str())
    }

    /// One file of records, each a row of `COLUMNS`.
    pub fn write_file(self, records: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
        match self {
            Format::Csv => Ok(csv::write(records)),
            Format::Xlsx => xlsx::write(records),
        }
    }
}
