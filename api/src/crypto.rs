//! Secrets at rest: AES-256-GCM with the key id written into every ciphertext, so master
//! keys can rotate; and the one-way hashes of API tokens and X API keys.

use std::{collections::HashMap, path::Path};

use anyhow::{anyhow, bail, Context};
use base64::{engine::general_purpose::STANDARD, Engine};
use ring::{
    aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN},
    digest,
    rand::{SecureRandom, SystemRandom},
};

use crate::{config::Secret, private_files};

const KEY_LEN: usize = 32;

/// The master keys: one that encrypts, every one that may decrypt.
pub struct Keyring {
    current_id: String,
    keys: HashMap<String, LessSafeKey>,
    rng: SystemRandom,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current_id", &self.current_id)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    pub fn new(current: &[u8], previous: &[Vec<u8>]) -> anyhow::Result<Self> {
        let mut keys = HashMap::new();
        for key in previous
            .iter()
            .map(Vec::as_slice)
            .chain(std::iter::once(current))
        {
            let (id, key) = Self::load_key(key)?;
            keys.insert(id, key);
        }
        Ok(Self {
            current_id: key_id(current),
            keys,
            rng: SystemRandom::new(),
        })
    }

    fn load_key(bytes: &[u8]) -> anyhow::Result<(String, LessSafeKey)> {
        if bytes.len() != KEY_LEN {
            bail!("a master key must be {KEY_LEN} bytes (base64 of 32 random bytes)");
        }
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| anyhow!("bad master key"))?;
        Ok((key_id(bytes), LessSafeKey::new(key)))
    }

    /// The configured key, or the key file under `data_dir`. A missing key file is
    /// generated only when `holds_sealed_credentials` is false: a fresh key could never
    /// open what an earlier key sealed, so then nothing is written and start is refused.
    pub fn from_settings(
        master_key: Option<&Secret>,
        previous: &[Secret],
        data_dir: &Path,
        holds_sealed_credentials: bool,
    ) -> anyhow::Result<Self> {
        let decode = |s: &Secret| {
            STANDARD
                .decode(s.expose().trim())
                .map_err(|_| anyhow!("a master key must be base64"))
        };
        let previous = previous
            .iter()
            .map(decode)
            .collect::<anyhow::Result<Vec<_>>>()?;
        let current = match master_key {
            Some(key) => decode(key)?,
            None => {
                load_or_create_key_file(&data_dir.join("master.key"), holds_sealed_credentials)?
            }
        };
        Self::new(&current, &previous)
    }

    /// `<key id>:<base64(nonce || ciphertext || tag)>`; `context` binds the ciphertext to
    /// its row so it cannot be moved to another one.
    pub fn encrypt(&self, plaintext: &[u8], context: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| anyhow!("no randomness"))?;
        let mut sealed = plaintext.to_vec();
        self.keys[&self.current_id]
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{}:{}", self.current_id, STANDARD.encode(out)))
    }

    pub fn decrypt(&self, stored: &str, context: &str) -> anyhow::Result<Vec<u8>> {
        let (id, data) = stored
            .split_once(':')
            .context("ciphertext without key id")?;
        let key = self
            .keys
            .get(id)
            .with_context(|| format!("no master key with id {id} is configured"))?;
        let mut data = STANDARD.decode(data).context("ciphertext is not base64")?;
        if data.len() < NONCE_LEN {
            bail!("ciphertext too short");
        }
        let nonce = Nonce::try_assume_unique_for_key(&data[..NONCE_LEN])
            .map_err(|_| anyhow!("bad nonce"))?;
        let plain = key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut data[NONCE_LEN..])
            .map_err(|_| anyhow!("ciphertext does not open with key {id}"))?;
        Ok(plain.to_vec())
    }
}

fn key_id(key: &[u8]) -> String {
    hex(&digest::digest(&digest::SHA256, key).as_ref()[..4])
}

fn load_or_create_key_file(path: &Path, holds_sealed_credentials: bool) -> anyhow::Result<Vec<u8>> {
    if !path.exists() && holds_sealed_credentials {
        bail!(
            "no master key is configured and there is no key file at {}, but the database holds \
             credentials sealed with a master key: set XCHANNEL_MASTER_KEY to that key (no key \
             file was written)",
            path.display()
        );
    }
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        private_files::private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    if path.exists() {
        private_files::tighten_file(path)
            .with_context(|| format!("protecting {}", path.display()))?;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading master key {}", path.display()))?;
        return STANDARD
            .decode(text.trim())
            .map_err(|_| anyhow!("{} is not base64", path.display()));
    }
    let mut key = vec![0u8; KEY_LEN];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| anyhow!("no randomness"))?;
    write_private(path, STANDARD.encode(&key).as_bytes())
        .with_context(|| format!("writing master key {}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "no master key configured: generated one; back it up, or set XCHANNEL_MASTER_KEY"
    );
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// SHA-256 in hex: for API tokens (high-entropy, so no salt is needed) and for the X API
/// key fingerprint that makes "one X project, one channel" a unique index (R-CRED-4).
pub fn sha256_hex(value: &str) -> String {
    hex(digest::digest(&digest::SHA256, value.as_bytes()).as_ref())
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring(byte: u8) -> Keyring {
        Keyring::new(&[byte; 32], &[]).unwrap()
    }

    #[test]
    fn decrypts_what_it_encrypted_and_hides_the_plaintext() {
        let ring = keyring(1);
        let sealed = ring.encrypt(b"access-token-secret", "channel-1").unwrap();
        assert!(!sealed.contains("access-token-secret"));
        assert_eq!(
            ring.decrypt(&sealed, "channel-1").unwrap(),
            b"access-token-secret"
        );
    }

    #[test]
    fn refuses_a_ciphertext_moved_to_another_row() {
        let ring = keyring(1);
        let sealed = ring.encrypt(b"secret", "channel-1").unwrap();
        assert!(ring.decrypt(&sealed, "channel-2").is_err());
    }

    #[test]
    fn reads_old_ciphertexts_after_a_key_rotation() {
        let old = keyring(1);
        let sealed = old.encrypt(b"secret", "c").unwrap();
        let rotated = Keyring::new(&[2; 32], &[vec![1; 32]]).unwrap();
        assert_eq!(rotated.decrypt(&sealed, "c").unwrap(), b"secret");
        assert!(!rotated
            .encrypt(b"x", "c")
            .unwrap()
            .starts_with(&sealed[..8]));
    }

    #[test]
    fn refuses_a_master_key_of_the_wrong_length() {
        assert!(Keyring::new(&[1; 16], &[]).is_err());
    }
}
