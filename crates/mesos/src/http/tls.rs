//! TLS towards masters run with `LIBPROCESS_SSL_ENABLED=1`: the trust roots of the client, and
//! turning rustls failures buried in reqwest's error chain into a cause an operator can act on.

use std::path::Path;

use rustls::CertificateError;

use crate::error::MesosError;

/// Property naming a PEM file of CA certificates trusted besides the system store.
pub const CA_CERT_FILE_KEY: &str = "alluxio.integration.mesos.ssl.ca.cert.file";

/// Adds the CA certificates of the PEM file `path` to the client's trust roots.
pub(super) fn trust_ca_file(
    builder: reqwest::ClientBuilder,
    path: &Path,
) -> Result<reqwest::ClientBuilder, MesosError> {
    let bad = |reason: String| MesosError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(chain(&e)))?;
    if certificates.is_empty() {
        return Err(bad("it holds no PEM certificate".into()));
    }
    Ok(certificates
        .into_iter()
        .fold(builder, reqwest::ClientBuilder::add_root_certificate))
}

/// The error for a request to `url` that failed below HTTP: [`MesosError::Tls`] when TLS
/// was the cause, [`MesosError::Transport`] otherwise.
pub(super) fn transport_error(url: &str, source: reqwest::Error) -> MesosError {
    match find_rustls(&source).map(tls_cause) {
        Some(cause) => MesosError::Tls {
            url: url.to_string(),
            cause,
            source,
        },
        None => MesosError::Transport {
            url: url.to_string(),
            cause: chain(&source),
            source,
        },
    }
}

/// The messages of an error and of everything below it, as one line.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        let line = e.to_string();
        // hyper and reqwest repeat their inner error's text in their own.
        if !text.contains(&line) {
            text = format!("{text}: {line}");
        }
        next = e.source();
    }
    text
}

/// The rustls error in `err`'s chain.
fn find_rustls<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(tls) = carried_rustls(e) {
            return Some(tls);
        }
        next = e.source();
    }
    None
}

/// `err` as a rustls error, or the one carried by an `io::Error` (nested ones too: the TLS
/// stack wraps it twice), which hides what it wraps from `source()`.
fn carried_rustls<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner: &(dyn std::error::Error + 'static) = err.downcast_ref::<std::io::Error>()?.get_ref()?;
    carried_rustls(inner)
}

/// What went wrong in the handshake, and what to do about it.
fn tls_cause(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => format!(
            "its certificate is not trusted ({err}); add the CA that signed it to the PEM file named by {CA_CERT_FILE_KEY}, or to the system CA store or SSL_CERT_FILE"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "its certificate does not name the host we connected to ({err}); use a master address the certificate lists"
        ),
        rustls::Error::InvalidCertificate(_) => {
            format!("its certificate is not accepted ({err})")
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            format!("it does not speak TLS ({err}); use http:// for a master without SSL")
        }
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_tell_untrusted_from_wrong_host_and_name_the_remedy() {
        let untrusted = tls_cause(&rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        assert!(
            untrusted.starts_with("its certificate is not trusted"),
            "{untrusted}"
        );
        assert!(untrusted.contains(CA_CERT_FILE_KEY), "{untrusted}");
        let wrong_host = tls_cause(&rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName,
        ));
        assert!(wrong_host.contains("does not name the host"), "{wrong_host}");
    }

    #[test]
    fn a_rustls_error_inside_nested_io_errors_is_found() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        let io = std::io::Error::other(io);
        assert_eq!(
            find_rustls(&io),
            Some(&rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            ))
        );
        // As the https connector hands it to hyper: a box holding a boxed io::Error.
        assert_eq!(find_rustls(&std::io::Error::other("refused")), None);
    }

    #[test]
    fn unreadable_or_empty_ca_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        for path in [dir.path().join("missing.pem"), empty] {
            match trust_ca_file(reqwest::Client::builder(), &path) {
                Err(MesosError::CaFile { path: named, .. }) => assert_eq!(named, path),
                Err(other) => panic!("{}: {other}", path.display()),
                Ok(_) => panic!("{} was accepted", path.display()),
            }
        }
    }
}
