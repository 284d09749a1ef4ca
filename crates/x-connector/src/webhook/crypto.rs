//! CRC response tokens and `x-twitter-webhooks-signature` checks, both HMAC-SHA256 keyed with
//! the API key secret as X defines them (R-INGEST-1, R-CRED-7).

use base64::Engine as _;
use ring::hmac;

use crate::Secret;

/// The header X signs each delivery with.
pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

const SCHEME: &str = "sha256=";
const SHA256_LEN: usize = 32;
/// Base64 of 32 bytes is 44 characters; anything longer is refused before decoding.
const ENCODED_LEN: usize = 44;

/// Why a delivery's signature was refused. Every variant means "store nothing".
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureRejected {
    #[error("the x-twitter-webhooks-signature header is missing")]
    Missing,
    #[error("the x-twitter-webhooks-signature header is empty")]
    Empty,
    #[error("the signature does not use the sha256= scheme")]
    WrongScheme,
    #[error("the signature is not base64")]
    NotBase64,
    #[error("the signature is not 32 bytes long")]
    WrongLength,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// The HMAC key for one channel's webhook, built once from the API key secret so the hot
/// path never holds the plaintext (DESIGN "Webhook verification key").
#[derive(Clone)]
pub struct WebhookKey {
    key: hmac::Key,
}

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey(<redacted>)")
    }
}

impl WebhookKey {
    pub fn new(api_key_secret: &Secret) -> Self {
        WebhookKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, api_key_secret.expose().as_bytes()),
        }
    }

    /// `sha256=` + base64(HMAC-SHA256(secret, crc_token)), the value of `response_token`.
    pub fn crc_response_token(&self, crc_token: &str) -> String {
        let tag = hmac::sign(&self.key, crc_token.as_bytes());
        let mut out = String::with_capacity(SCHEME.len() + ENCODED_LEN);
        out.push_str(SCHEME);
        base64::engine::general_purpose::STANDARD.encode_string(tag.as_ref(), &mut out);
        out
    }

    /// Checks the header against the raw body in constant time. `None` is a missing header.
    pub fn verify(&self, header: Option<&str>, body: &[u8]) -> Result<(), SignatureRejected> {
        let header = header.ok_or(SignatureRejected::Missing)?;
        if header.is_empty() {
            return Err(SignatureRejected::Empty);
        }
        let encoded = header
            .strip_prefix(SCHEME)
            .ok_or(SignatureRejected::WrongScheme)?;
        if encoded.is_empty() {
            return Err(SignatureRejected::Empty);
        }
        if encoded.len() > ENCODED_LEN {
            // Longer text cannot be a SHA-256 tag; refuse it without decoding attacker input.
            return if base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .is_ok()
            {
                Err(SignatureRejected::WrongLength)
            } else {
                Err(SignatureRejected::NotBase64)
            };
        }
        let mut tag = [0u8; ENCODED_LEN];
        let len = base64::engine::general_purpose::STANDARD
            .decode_slice(encoded, &mut tag)
            .map_err(|_| SignatureRejected::NotBase64)?;
        if len != SHA256_LEN {
            return Err(SignatureRejected::WrongLength);
        }
        hmac::verify(&self.key, body, &tag[..len]).map_err(|_| SignatureRejected::Mismatch)
    }
}

/// One-off form of [`WebhookKey::crc_response_token`].
pub fn crc_response_token(api_key_secret: &Secret, crc_token: &str) -> String {
    WebhookKey::new(api_key_secret).crc_response_token(crc_token)
}

/// One-off form of [`WebhookKey::verify`].
pub fn verify_signature(
    api_key_secret: &Secret,
    header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureRejected> {
    WebhookKey::new(api_key_secret).verify(header, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"test=1&other_test=2";
    const GOOD: &str = "sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc=";

    fn key() -> WebhookKey {
        WebhookKey::new(&Secret::new("test"))
    }

    #[test]
    fn accepts_the_published_vector() {
        assert_eq!(key().verify(Some(GOOD), BODY), Ok(()));
    }

    #[test]
    fn crc_token_of_the_published_vector_matches_its_signature() {
        // Same secret and input, so the CRC answer equals the delivery signature.
        assert_eq!(key().crc_response_token("test=1&other_test=2"), GOOD);
        assert_eq!(
            crc_response_token(&Secret::new("test"), "test=1&other_test=2"),
            GOOD
        );
    }

    #[test]
    fn refuses_a_missing_signature() {
        assert_eq!(key().verify(None, BODY), Err(SignatureRejected::Missing));
    }

    #[test]
    fn refuses_an_empty_signature() {
        assert_eq!(key().verify(Some(""), BODY), Err(SignatureRejected::Empty));
        assert_eq!(
            key().verify(Some("sha256="), BODY),
            Err(SignatureRejected::Empty)
        );
    }

    #[test]
    fn refuses_another_scheme_than_sha256() {
        let sha1 = "sha1=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc=";
        assert_eq!(
            key().verify(Some(sha1), BODY),
            Err(SignatureRejected::WrongScheme)
        );
        let upper = "SHA256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc=";
        assert_eq!(
            key().verify(Some(upper), BODY),
            Err(SignatureRejected::WrongScheme)
        );
        let bare = "25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc=";
        assert_eq!(
            key().verify(Some(bare), BODY),
            Err(SignatureRejected::WrongScheme)
        );
    }

    #[test]
    fn refuses_text_that_is_not_base64() {
        let text = "sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSo!=";
        assert_eq!(
            key().verify(Some(text), BODY),
            Err(SignatureRejected::NotBase64)
        );
    }

    #[test]
    fn refuses_a_signature_of_the_wrong_length() {
        // A valid prefix of the right tag: a length-tolerant comparison would accept it.
        let short = "sha256=25Cu3iwbbiqBTwQRzcKJZw==";
        assert_eq!(
            key().verify(Some(short), BODY),
            Err(SignatureRejected::WrongLength)
        );
        let thirty_three_bytes = format!(
            "sha256={}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 33])
        );
        assert_eq!(
            key().verify(Some(&thirty_three_bytes), BODY),
            Err(SignatureRejected::WrongLength)
        );
        let sixty_four_bytes = format!(
            "sha256={}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 64])
        );
        assert_eq!(
            key().verify(Some(&sixty_four_bytes), BODY),
            Err(SignatureRejected::WrongLength)
        );
    }

    #[test]
    fn refuses_a_signature_of_another_body() {
        assert_eq!(
            key().verify(Some(GOOD), b"test=1&other_test=3"),
            Err(SignatureRejected::Mismatch)
        );
    }

    #[test]
    fn refuses_a_signature_made_with_another_secret() {
        let other = WebhookKey::new(&Secret::new("not-test"));
        let header = other.crc_response_token("test=1&other_test=2");
        assert_eq!(
            key().verify(Some(&header), BODY),
            Err(SignatureRejected::Mismatch)
        );
    }

    #[test]
    fn the_one_off_verify_signature_checks_like_the_key() {
        let secret = Secret::new("test");
        assert_eq!(verify_signature(&secret, Some(GOOD), BODY), Ok(()));
        assert_eq!(
            verify_signature(&secret, Some(GOOD), b"test=1&other_test=3"),
            Err(SignatureRejected::Mismatch)
        );
        assert_eq!(
            verify_signature(&Secret::new("not-test"), Some(GOOD), BODY),
            Err(SignatureRejected::Mismatch)
        );
        assert_eq!(
            verify_signature(&secret, None, BODY),
            Err(SignatureRejected::Missing)
        );
    }

    #[test]
    fn key_debug_output_shows_no_secret() {
        assert_eq!(format!("{:?}", key()), "WebhookKey(<redacted>)");
    }
}
