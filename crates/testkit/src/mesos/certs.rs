//! Throwaway certificates for TLS tests, made at test time so none is ever committed.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

use super::SimulatorError;

/// A fresh CA and a server certificate it signed, as PEM files.
#[derive(Debug, Clone)]
pub struct TestCertificates {
    /// The CA certificate: what a client must trust.
    pub ca: PathBuf,
    /// The server certificate (for `--tls-cert`).
    pub cert: PathBuf,
    /// The server's private key (for `--tls-key`).
    pub key: PathBuf,
}

impl TestCertificates {
    /// Writes `ca.pem`, `cert.pem` and `key.pem` into `dir`, the server certificate valid for
    /// `names` (host names or IP addresses, e.g. `127.0.0.1` and `localhost`).
    pub fn generate(dir: &Path, names: &[&str]) -> Result<Self, SimulatorError> {
        let bad = |e: rcgen::Error| SimulatorError::Tls {
            path: dir.to_path_buf(),
            reason: format!("cannot generate test certificates: {e}"),
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(bad)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "alluxio-testkit test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(bad)?).map_err(bad)?;

        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names.clone()).map_err(bad)?;
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, first.as_str());
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().map_err(bad)?;
        let cert = params.signed_by(&key, &ca).map_err(bad)?;

        let files = Self {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        for (path, pem) in [
            (&files.ca, ca.pem()),
            (&files.cert, cert.pem()),
            (&files.key, key.serialize_pem()),
        ] {
            std::fs::write(path, pem).map_err(|source| SimulatorError::Io {
                what: format!("cannot write {}", path.display()),
                source,
            })?;
        }
        Ok(files)
    }
}
