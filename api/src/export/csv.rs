//! CSV as RFC 4180 writes it: a header row, CRLF line ends, a field in double quotes when
//! it holds a comma, a quote or a line break, quotes doubled. UTF-8 without a byte order mark.

use super::columns::header;

pub fn write(records: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::with_capacity(records.len() * 512);
    line(&header(), &mut out);
    for record in records {
        line(record, &mut out);
    }
    out.into_bytes()
}

fn line(fields: &[String], out: &mut String) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if field.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_fields_with_commas_quotes_and_line_breaks() {
        let mut out = String::new();
        line(
            &[
                "plain".into(),
                "a,b".into(),
                "say \"hi\"".into(),
                "two\nlines".into(),
            ],
            &mut out,
        );
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
    }
}
