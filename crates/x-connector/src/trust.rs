//! Trust anchors for outbound TLS to X: the PEM certificates a system administrator
//! uploads ("X authentication certificate", R-INTEG-4), checked before they are kept.

use base64::{engine::general_purpose::STANDARD, Engine};
use ring::digest;
use rustls_pki_types::{
    pem::{self, SectionKind},
    CertificateDer,
};

/// One certificate of an uploaded bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAnchor {
    /// SHA-256 of the certificate's DER, in lowercase hex.
    pub sha256_fingerprint: String,
    /// The certificate alone, as PEM written anew: nothing else of the upload (comments,
    /// stray bytes) is kept.
    pub pem: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustAnchorError {
    #[error("holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate,
    #[error("PEM section {index} is not valid base64 PEM")]
    NotPem { index: usize },
    #[error("PEM section {index} is a {kind}, not a certificate; upload certificates only")]
    NotACertificate { index: usize, kind: &'static str },
    #[error("certificate {index} is not an X.509 certificate usable as a trust anchor")]
    NotAnAnchor { index: usize },
}

/// Parses a PEM bundle into its certificates, refusing anything a TLS client could not
/// trust and any section that is not a certificate (a private key pasted by mistake must
/// not be kept). Text around the sections (comments, CRLF line ends) is allowed.
pub fn parse_trust_anchors(bundle: &[u8]) -> Result<Vec<TrustAnchor>, TrustAnchorError> {
    let mut reader = bundle;
    let mut anchors = Vec::new();
    for index in 0.. {
        let der = match pem::from_buf(&mut reader) {
            Ok(None) => break,
            Ok(Some((SectionKind::Certificate, der))) => CertificateDer::from(der),
            Ok(Some((kind, _))) => {
                return Err(TrustAnchorError::NotACertificate {
                    index,
                    kind: kind_name(kind),
                })
            }
            Err(_) => return Err(TrustAnchorError::NotPem { index }),
        };
        let mut store = rustls::RootCertStore::empty();
        store
            .add(der.clone())
            .map_err(|_| TrustAnchorError::NotAnAnchor { index })?;
        anchors.push(TrustAnchor {
            sha256_fingerprint: hex(digest::digest(&digest::SHA256, der.as_ref()).as_ref()),
            pem: to_pem(der.as_ref()),
        });
    }
    if anchors.is_empty() {
        return Err(TrustAnchorError::NoCertificate);
    }
    Ok(anchors)
}

fn kind_name(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Certificate => "certificate",
        SectionKind::PublicKey => "public key",
        SectionKind::Crl => "certificate revocation list",
        SectionKind::Csr => "certificate request",
        SectionKind::EchConfigList => "ECH configuration",
        _ => "private key",
    }
}

fn to_pem(der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
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
        let bundle =
            format!("# uploaded by ops\r\n{ISRG_ROOT_X1}\r\ntrailing words\n{ISRG_ROOT_X1}");
        let anchors = parse_trust_anchors(bundle.as_bytes()).unwrap();
        assert_eq!(anchors.len(), 2);
        // The fingerprint Let's Encrypt publishes for ISRG Root X1.
        assert_eq!(
            anchors[0].sha256_fingerprint,
            "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6"
        );
    }

    #[test]
    fn writes_each_certificate_anew_and_drops_the_text_around_it() {
        let bundle = format!("# note \u{0}\r\n{}", ISRG_ROOT_X1.replace('\n', "\r\n"));
        let anchors = parse_trust_anchors(bundle.as_bytes()).unwrap();
        assert_eq!(anchors[0].pem, ISRG_ROOT_X1);
        assert_eq!(
            parse_trust_anchors(anchors[0].pem.as_bytes()).unwrap(),
            anchors
        );
    }

    #[test]
    fn refuses_text_without_a_certificate() {
        assert_eq!(
            parse_trust_anchors(b"hello"),
            Err(TrustAnchorError::NoCertificate)
        );
    }

    #[test]
    fn refuses_a_private_key_pasted_beside_a_certificate() {
        let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
        let bundle = format!("{ISRG_ROOT_X1}{key}");
        assert_eq!(
            parse_trust_anchors(bundle.as_bytes()),
            Err(TrustAnchorError::NotACertificate {
                index: 1,
                kind: "private key"
            })
        );
    }

    #[test]
    fn refuses_a_certificate_section_that_is_not_x509() {
        let junk = b"-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
        assert_eq!(
            parse_trust_anchors(junk),
            Err(TrustAnchorError::NotAnAnchor { index: 0 })
        );
        let bad_base64 = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(parse_trust_anchors(bad_base64).is_err());
    }
}
