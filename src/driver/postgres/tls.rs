//! The TLS connector for one [`TlsPolicy`], with libpq's meaning of each
//! `sslmode`: `prefer` and `require` encrypt without checking the
//! certificate (unless `require` is given a root certificate), `verify-ca`
//! checks the chain, `verify-full` the chain and the host name.
//!
//! I/O: reads the certificate files the URL names.

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::options::{SslMode, TlsPolicy};

/// How the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    Nothing,
    Chain,
    ChainAndName,
}

fn check(policy: &TlsPolicy) -> Check {
    match policy.mode {
        SslMode::VerifyFull => Check::ChainAndName,
        SslMode::VerifyCa => Check::Chain,
        SslMode::Require if policy.root_cert.is_some() => Check::Chain,
        _ => Check::Nothing,
    }
}

/// The connector for `policy`.
///
/// # Errors
/// A message naming a certificate file that cannot be read.
pub(crate) fn connector(policy: &TlsPolicy) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match check(policy) {
        Check::Nothing => Arc::new(NoCheck(provider)),
        wanted => {
            let roots = roots(policy.root_cert.as_deref())?;
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("TLS setup failed: {e}"))?;
            if wanted == Check::Chain {
                Arc::new(ChainOnly(webpki))
            } else {
                webpki
            }
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match &policy.client_cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|e| unreadable("sslcert", cert, &e))?;
            let key =
                PrivateKeyDer::from_pem_file(key).map_err(|e| unreadable("sslkey", key, &e))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("the client certificate cannot be used: {e}"))?
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The certificates of `sslrootcert`, else the Mozilla roots.
fn roots(file: Option<&Path>) -> Result<RootCertStore, String> {
    let Some(file) = file else {
        return Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    };
    let certs = CertificateDer::pem_file_iter(file)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| unreadable("sslrootcert", file, &e))?;
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "`sslrootcert` file `{}` holds no usable certificate",
            file.display()
        ));
    }
    Ok(store)
}

fn unreadable(param: &str, file: &Path, err: &rustls::pki_types::pem::Error) -> String {
    format!("cannot read the `{param}` file `{}`: {err}", file.display())
}

/// `prefer`/`require`: encrypted, but any certificate is accepted (libpq's
/// behaviour); signatures are still checked, so the session key is real.
#[derive(Debug)]
struct NoCheck(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must verify; the name in it need not match.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(mode: SslMode, root: bool) -> TlsPolicy {
        TlsPolicy {
            mode,
            root_cert: root.then(|| "/ca.pem".into()),
            client_cert: None,
        }
    }

    #[test]
    fn each_mode_checks_what_libpq_checks() {
        assert_eq!(check(&policy(SslMode::Prefer, false)), Check::Nothing);
        assert_eq!(check(&policy(SslMode::Require, false)), Check::Nothing);
        assert_eq!(check(&policy(SslMode::Require, true)), Check::Chain);
        assert_eq!(check(&policy(SslMode::VerifyCa, false)), Check::Chain);
        assert_eq!(
            check(&policy(SslMode::VerifyFull, false)),
            Check::ChainAndName
        );
    }

    #[test]
    fn a_missing_root_certificate_file_is_named() {
        let p = TlsPolicy {
            mode: SslMode::VerifyFull,
            root_cert: Some("/no/such/ca.pem".into()),
            client_cert: None,
        };
        let err = connector(&p).err().unwrap();
        assert!(
            err.contains("sslrootcert") && err.contains("/no/such/ca.pem"),
            "{err}"
        );
    }

    #[test]
    fn the_default_connector_needs_no_files() {
        assert!(connector(&policy(SslMode::Prefer, false)).is_ok());
        assert!(connector(&policy(SslMode::VerifyFull, false)).is_ok());
    }
}
