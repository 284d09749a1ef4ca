//! One xlsx workbook of one sheet per file, written by `rust_xlsxwriter`: the header row,
//! then one row per record, every cell text (so ids and times read back as written).

use rust_xlsxwriter::Workbook;

use super::columns::header;

pub fn write(records: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("channels")?;
    for (col, name) in header().iter().enumerate() {
        sheet.write_string(0, col as u16, name)?;
    }
    for (row, record) in records.iter().enumerate() {
        for (col, value) in record.iter().enumerate() {
            if !value.is_empty() {
                sheet.write_string(row as u32 + 1, col as u16, value)?;
            }
        }
    }
    Ok(workbook.save_to_buffer()?)
}
