//! HMAC-SHA256 as an `oauth1-request` signature method, computed with `ring` (R-CRED-7).
//!
//! `oauth1-request` ships only HMAC-SHA1; the base string it feeds us is the same for any
//! HMAC, so only the digest and the method name differ.

use std::fmt::{self, Display, Write};

use base64::Engine as _;
use oauth1_request::signature_method::{Sign, SignatureMethod};
use ring::hmac;

use crate::encode::percent_encode;

/// The `HMAC-SHA256` signature method.
#[derive(Clone, Copy, Debug, Default)]
pub struct HmacSha256;

/// Signs one signature base string, fed in pieces by the serializer.
pub struct HmacSha256Sign {
    context: hmac::Context,
}

/// The base64 signature, percent-encoded as the `Authorization` header wants it.
pub struct HmacSha256Signature {
    tag: hmac::Tag,
}

impl SignatureMethod for HmacSha256 {
    type Sign = HmacSha256Sign;

    fn sign_with(self, client_secret: &str, token_secret: Option<&str>) -> HmacSha256Sign {
        let key = signing_key(client_secret, token_secret);
        let key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
        HmacSha256Sign {
            context: hmac::Context::with_key(&key),
        }
    }
}

/// RFC 5849 section 3.4.2: both secrets encoded, joined by `&`, the second possibly empty.
fn signing_key(client_secret: &str, token_secret: Option<&str>) -> String {
    let mut key = String::with_capacity(client_secret.len() + 64);
    let _ = write!(key, "{}&", percent_encode(client_secret));
    if let Some(token_secret) = token_secret {
        let _ = write!(key, "{}", percent_encode(token_secret));
    }
    key
}

/// Lets `write!` feed a `Display` value straight into the HMAC without a buffer.
struct ContextWriter<'a>(&'a mut hmac::Context);

impl Write for ContextWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

impl Sign for HmacSha256Sign {
    type Signature = HmacSha256Signature;

    fn get_signature_method_name(&self) -> &'static str {
        "HMAC-SHA256"
    }

    fn request_method(&mut self, method: &str) {
        self.context.update(method.as_bytes());
        self.context.update(b"&");
    }

    fn uri<T: Display>(&mut self, uri: T) {
        let _ = write!(ContextWriter(&mut self.context), "{uri}&");
    }

    fn parameter<V: Display>(&mut self, key: &str, value: V) {
        self.context.update(key.as_bytes());
        self.context.update(b"%3D");
        let _ = write!(ContextWriter(&mut self.context), "{value}");
    }

    fn delimiter(&mut self) {
        self.context.update(b"%26");
    }

    fn end(self) -> HmacSha256Signature {
        HmacSha256Signature {
            tag: self.context.sign(),
        }
    }
}

impl Display for HmacSha256Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Base64 uses three characters that are not unreserved; encode just those.
        let mut encoded = [0u8; 44];
        let len = base64::engine::general_purpose::STANDARD
            .encode_slice(self.tag.as_ref(), &mut encoded)
            .map_err(|_| fmt::Error)?;
        for &byte in &encoded[..len] {
            match byte {
                b'+' => f.write_str("%2B")?,
                b'/' => f.write_str("%2F")?,
                b'=' => f.write_str("%3D")?,
                other => f.write_char(char::from(other))?,
            }
        }
        Ok(())
    }
}
