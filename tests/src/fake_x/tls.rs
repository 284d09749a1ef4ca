//! Throwaway certificates for the fake X's https mode: a CA made at start, and a server
//! certificate for `127.0.0.1` and `localhost` it signs, so a test can hand the client the CA
//! as the system administrator's uploaded "X authentication certificate" (R-INTEG-4).

use std::io;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// The CA's certificate, to trust, and the rustls configuration serving its server certificate.
pub(super) struct ServerTls {
    pub ca_certificate_pem: String,
    pub config: ServerConfig,
}

/// A fresh CA certificate in PEM that no fake X serves under: what a wrong upload looks like.
pub fn unrelated_ca_certificate_pem() -> String {
    new_ca("unrelated test CA")
        .map(|(pem, _)| pem)
        .expect("rcgen makes a CA certificate")
}

pub(super) fn server_tls() -> io::Result<ServerTls> {
    let (ca_certificate_pem, ca) = new_ca("xchannel fake X test CA").map_err(io::Error::other)?;
    let (server_certificate, server_key) = new_server_certificate(&ca).map_err(io::Error::other)?;
    // Chosen here rather than left to rustls's process default, which would panic if another
    // crate in the build ever enabled a second provider.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![server_certificate.der().clone()], server_key)
        .map_err(io::Error::other)?;
    Ok(ServerTls {
        ca_certificate_pem,
        config,
    })
}

fn new_ca(common_name: &str) -> Result<(String, Issuer<'static, KeyPair>), rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate()?;
    let pem = params.self_signed(&key)?.pem();
    Ok((pem, Issuer::new(params, key)))
}

fn new_server_certificate(
    ca: &Issuer<'static, KeyPair>,
) -> Result<(rcgen::Certificate, PrivateKeyDer<'static>), rcgen::Error> {
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    params.distinguished_name.push(DnType::CommonName, "fake X");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate()?;
    let certificate = params.signed_by(&key, ca)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((certificate, key))
}
