//! The ZIP archive, written as a stream (no seeking, data descriptors after each entry) so
//! that its bytes can be taken away piece by piece while it grows; every entry AES-256
//! encrypted, WinZip AE-2, by the `zip` crate.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use zip::{
    write::{SimpleFileOptions, StreamWriter},
    AesMode, CompressionMethod, ZipWriter,
};

use super::Format;

/// Where the archive's bytes gather until they are taken.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("archive buffer poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}

pub struct ArchiveWriter {
    zip: ZipWriter<StreamWriter<Sink>>,
    sink: Sink,
    password: String,
    format: Format,
    files: usize,
}

impl ArchiveWriter {
    pub fn new(password: String, format: Format) -> Self {
        let sink = Sink::default();
        Self {
            zip: ZipWriter::new_stream(sink.clone()),
            sink,
            password,
            format,
            files: 0,
        }
    }

    /// Adds the next file of records; returns the archive bytes written since last asked.
    pub fn add_file(&mut self, records: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
        let content = self.format.write_file(records)?;
        self.files += 1;
        // xlsx is a ZIP already: deflating it again gains nothing.
        let options = match self.format {
            Format::Csv => SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(1)),
            Format::Xlsx => {
                SimpleFileOptions::default().compression_method(CompressionMethod::Stored)
            }
        }
        .large_file(false)
        .with_aes_encryption(AesMode::Aes256, &self.password);
        self.zip
            .start_file(self.format.file_name(self.files), options)?;
        self.zip.write_all(&content)?;
        Ok(self.sink.take())
    }

    pub fn files(&self) -> usize {
        self.files
    }

    /// Writes the central directory; returns the last bytes of the archive.
    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        self.zip.finish()?;
        Ok(self.sink.take())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn archive(password: &str, files: usize) -> Vec<u8> {
        let mut writer = ArchiveWriter::new(password.to_owned(), Format::Csv);
        let mut bytes = Vec::new();
        for n in 0..files {
            bytes.extend(writer.add_file(&[vec![format!("record-{n}")]]).unwrap());
        }
        bytes.extend(writer.finish().unwrap());
        bytes
    }

    #[test]
    fn entries_open_with_the_password_only() {
        let bytes = archive("Corr3ct-horse", 2);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(zip.len(), 2);
        assert!(zip.by_index_decrypt(0, b"wrong-password").is_err());
        let mut text = String::new();
        zip.by_index_decrypt(1, b"Corr3ct-horse")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.starts_with("id,name,"), "{text}");
        assert!(text.contains("record-1"));
    }
}
