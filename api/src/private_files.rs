//! Files only the service's own user may read: the embedded run keeps token hashes,
//! credential ciphertexts, API key fingerprints and the master key on disk, so their
//! directory is 0700 and the files 0600. A directory found looser is tightened, and a
//! log line says so.

use std::{io, path::Path};

/// Creates `dir` (and its missing parents) as 0700, or tightens it to 0700. A directory
/// with the sticky bit is shared by design (`/tmp`): it is left as it is, with a warning.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    imp::private_dir(dir)
}

/// Creates `file` empty as 0600 if it does not exist, or tightens it to 0600.
pub fn private_file(file: &Path) -> io::Result<()> {
    imp::private_file(file, true)
}

/// Tightens `file` to 0600 if it exists.
pub fn tighten_file(file: &Path) -> io::Result<()> {
    imp::private_file(file, false)
}

#[cfg(unix)]
mod imp {
    use std::{
        fs::{self, DirBuilder, OpenOptions, Permissions},
        io,
        os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt},
        path::Path,
    };

    const STICKY: u32 = 0o1000;

    pub(super) fn private_dir(dir: &Path) -> io::Result<()> {
        let mode = match fs::metadata(dir) {
            Ok(meta) => meta.permissions().mode(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return DirBuilder::new().recursive(true).mode(0o700).create(dir);
            }
            Err(e) => return Err(e),
        };
        if mode & 0o077 == 0 {
            return Ok(());
        }
        if mode & STICKY != 0 {
            tracing::warn!(
                path = %dir.display(), mode = %format!("{:o}", mode & 0o7777),
                "the data directory is a shared directory that others can read; give the service a directory of its own"
            );
            return Ok(());
        }
        fs::set_permissions(dir, Permissions::from_mode(0o700))?;
        tracing::warn!(
            path = %dir.display(), was = %format!("{:o}", mode & 0o777),
            "tightened the permissions of the data directory to 0700"
        );
        Ok(())
    }

    pub(super) fn private_file(file: &Path, create: bool) -> io::Result<()> {
        let mode = match fs::metadata(file) {
            Ok(meta) => meta.permissions().mode(),
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                return match OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(file)
                {
                    // Another connection created it first: it is checked below next time.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
                    other => other.map(drop),
                };
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if mode & 0o077 == 0 {
            return Ok(());
        }
        fs::set_permissions(file, Permissions::from_mode(0o600))?;
        tracing::warn!(
            path = %file.display(), was = %format!("{:o}", mode & 0o777),
            "tightened the permissions of a data file to 0600"
        );
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    use std::{io, path::Path};

    pub(super) fn private_dir(dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    pub(super) fn private_file(_: &Path, _: bool) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::{fs::Permissions, os::unix::fs::PermissionsExt};

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn scratch() -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "xchannel-private-{}",
            uuid::Uuid::new_v4().simple()
        ))
    }

    #[test]
    fn creates_a_directory_0700_and_a_file_0600() {
        let root = scratch();
        let dir = root.join("a/b");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        private_file(&dir.join("db")).unwrap();
        assert_eq!(mode(&dir.join("db")), 0o600);
        tighten_file(&dir.join("absent")).unwrap();
        assert!(
            !dir.join("absent").exists(),
            "only tightened, never created"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn tightens_a_looser_directory_and_file_but_not_a_shared_one() {
        let root = scratch();
        std::fs::create_dir_all(&root).unwrap();
        std::fs::set_permissions(&root, Permissions::from_mode(0o755)).unwrap();
        std::fs::write(root.join("db"), b"").unwrap();
        std::fs::set_permissions(root.join("db"), Permissions::from_mode(0o644)).unwrap();
        private_dir(&root).unwrap();
        tighten_file(&root.join("db")).unwrap();
        assert_eq!((mode(&root), mode(&root.join("db"))), (0o700, 0o600));
        let shared = root.join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, Permissions::from_mode(0o1777)).unwrap();
        private_dir(&shared).unwrap();
        assert_eq!(mode(&shared), 0o1777);
        std::fs::remove_dir_all(root).unwrap();
    }
}
