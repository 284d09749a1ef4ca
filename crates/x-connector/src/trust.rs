//! Trust anchors for outbound TLS to X: the PEM certificates a system administrator
//! uploads ("X authentication certificate", R-INTEG-4), checked before they are kept.

use ring::digest;
use rustls_pki_types::{pem::PemObject, CertificateDer};

/// One certificate of an uploaded bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    /// SHA-256 of the certificate's DER, in lowercase hex.
    pub sha256_fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustAnchorError {
    #[error("holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate,
    #[error("PEM section {index} is not valid base64 PEM")]
    NotPem { index: usize },
    #[error("certificate {index} is not an X.509 certificate usable as a trust anchor")]
    NotAnAnchor { index: usize },
}

/// Parses a PEM bundle into its certificates, refusing anything a TLS client could not
/// trust. Text around the PEM sections (comments, CRLF line ends) is allowed.
pub fn parse_trust_anchors(pem: &[u8]) -> Result<Vec<TrustAnchor>, TrustAnchorError> {
    let mut anchors = Vec::new();
    for (index, section) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let der = section.map_err(|_| TrustAnchorError::NotPem { index })?;
        let mut store = rustls::RootCertStore::empty();
        store
            .add(der.clone())
            .map_err(|_| TrustAnchorError::NotAnAnchor { index })?;
        anchors.push(TrustAnchor {
            sha256_fingerprint: hex(digest::digest(&digest::SHA256, der.as_ref()).as_ref()),
        });
    }
    if anchors.is_empty() {
        return Err(TrustAnchorError::NoCertificate);
    }
    Ok(anchors)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ISRG Root X1, the root of Let's Encrypt: a real, public trust anchor.
    const ISRG_ROOT_X1: &str = include_str!("../tests/data/isrg-root-x1.pem");

    #[test]
    fn reads_every_certificate_of_a_bundle_with_text_around_it() {
        let bundle = format!("# uploaded by ops\r\n{ISRG_ROOT_X1}\r\ntrailing words\n{ISRG_ROOT_X1}");
        let anchors = parse_trust_anchors(bundle.as_bytes()).unwrap();
        assert_eq!(anchors.len(), 2);
        // The fingerprint Let's Encrypt publishes for ISRG Root X1.
        assert_eq!(
            anchors[0].sha256_fingerprint,
            "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6"
        );
    }

    #[test]
    fn refuses_text_without_a_certificate() {
        assert_eq!(parse_trust_anchors(b"hello"), Err(TrustAnchorError::NoCertificate));
        let key = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert_eq!(parse_trust_anchors(key), Err(TrustAnchorError::NoCertificate));
    }

    #[test]
    fn refuses_a_certificate_section_that_is_not_x509() {
        let junk = b"-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
        assert_eq!(parse_trust_anchors(junk), Err(TrustAnchorError::NotAnAnchor { index: 0 }));
        let bad_base64 = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(parse_trust_anchors(bad_base64).is_err());
    }
}
