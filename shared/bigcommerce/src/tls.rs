//! The TLS trust every HTTP client of a process shares: one root store and one rustls
//! configuration, built once and handed to each client instead of every client loading its own.
//!
//! Loading the operating system's store costs milliseconds per client (on Debian, reading ~300
//! files of `/etc/ssl/certs`), which is most of a Lambda cold start; the bundled roots (Mozilla's
//! list, compiled in) cost no file access at all. [`TrustRoots::Native`] is there for networks
//! whose egress re-signs TLS with a private CA that only the system store holds.

use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;

/// Which certificate authorities TLS connections trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustRoots {
    /// Mozilla's root programme as compiled into this binary (`webpki-root-certs`): the same
    /// on every machine, nothing read at start.
    #[default]
    Bundled,
    /// The operating system's certificate store (`SSL_CERT_FILE` / `SSL_CERT_DIR` honoured),
    /// read once per process.
    Native,
}

impl TrustRoots {
    /// Parses a setting value: `bundled` or `native`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "bundled" => Ok(Self::Bundled),
            "native" => Ok(Self::Native),
            other => Err(format!(
                "`{other}` is not a trust store: use bundled or native"
            )),
        }
    }

    /// The setting value that names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bundled => "bundled",
            Self::Native => "native",
        }
    }
}

/// Why the TLS configuration could not be built.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsError {
    /// The system store held no certificate this process could use.
    #[error("the system certificate store has no usable root certificate ({0})")]
    NoNativeRoots(String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// One trust store's certificates and the configuration built on them.
struct Trust {
    certificates: Vec<CertificateDer<'static>>,
    config: rustls::ClientConfig,
}

static BUNDLED: OnceLock<Result<Trust, TlsError>> = OnceLock::new();
static NATIVE: OnceLock<Result<Trust, TlsError>> = OnceLock::new();

fn trust(roots: TrustRoots) -> Result<&'static Trust, TlsError> {
    let cell = match roots {
        TrustRoots::Bundled => &BUNDLED,
        TrustRoots::Native => &NATIVE,
    };
    cell.get_or_init(|| build(roots))
        .as_ref()
        .map_err(Clone::clone)
}

fn build(roots: TrustRoots) -> Result<Trust, TlsError> {
    let certificates = match roots {
        TrustRoots::Bundled => webpki_root_certs::TLS_SERVER_ROOT_CERTS.to_vec(),
        TrustRoots::Native => native_certificates()?,
    };
    let mut store = rustls::RootCertStore::empty();
    let (added, _unparsable) = store.add_parsable_certificates(certificates.iter().cloned());
    if added == 0 {
        return Err(TlsError::Config(format!(
            "none of the {} {} root certificates could be parsed",
            certificates.len(),
            roots.name()
        )));
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(Trust {
        certificates,
        config,
    })
}

fn native_certificates() -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let loaded = rustls_native_certs::load_native_certs();
    if loaded.certs.is_empty() {
        let why = loaded
            .errors
            .first()
            .map(ToString::to_string)
            .unwrap_or_else(|| "none found".into());
        return Err(TlsError::NoNativeRoots(why));
    }
    Ok(loaded.certs)
}

/// The rustls client configuration of `roots`, built once per process; clones share its
/// verifier and root store.
pub fn client_config(roots: TrustRoots) -> Result<rustls::ClientConfig, TlsError> {
    trust(roots).map(|t| t.config.clone())
}

/// The root certificates of `roots` (DER), for clients configured by certificate list.
pub fn root_certificates(
    roots: TrustRoots,
) -> Result<&'static [CertificateDer<'static>], TlsError> {
    trust(roots).map(|t| t.certificates.as_slice())
}

/// The root certificates of `roots` as one PEM bundle, for clients that take PEM (the AWS SDK's
/// trust store).
pub fn root_certificates_pem(roots: TrustRoots) -> Result<String, TlsError> {
    use base64::Engine as _;
    let mut pem = String::new();
    for certificate in root_certificates(roots)? {
        let encoded = base64::engine::general_purpose::STANDARD.encode(certificate.as_ref());
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in encoded.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    Ok(pem)
}

/// A reqwest client builder that uses the shared configuration of `roots`.
pub fn reqwest_builder(roots: TrustRoots) -> Result<reqwest::ClientBuilder, TlsError> {
    Ok(reqwest::Client::builder().tls_backend_preconfigured(client_config(roots)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(roots: &[CertificateDer<'_>], name: &str) -> bool {
        roots
            .iter()
            .any(|c| c.as_ref().windows(name.len()).any(|w| w == name.as_bytes()))
    }

    #[test]
    fn bundled_roots_hold_the_authorities_aws_and_bigcommerce_chain_to() {
        let roots = root_certificates(TrustRoots::Bundled).unwrap();
        assert!(roots.len() > 100, "{} roots", roots.len());
        for name in [
            "Amazon Root CA 1",
            "ISRG Root X1",
            "DigiCert Global Root G2",
            "GTS Root R1",
        ] {
            assert!(
                holds(roots, name),
                "{name} is missing from the bundled roots"
            );
        }
    }

    #[test]
    fn the_pem_bundle_decodes_back_to_the_same_certificates() {
        use rustls::pki_types::pem::PemObject;
        let pem = root_certificates_pem(TrustRoots::Bundled).unwrap();
        let decoded: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(decoded, root_certificates(TrustRoots::Bundled).unwrap());
    }

    #[test]
    fn every_client_gets_the_one_verifier_built_for_the_process() {
        let a = client_config(TrustRoots::Bundled).unwrap();
        let b = client_config(TrustRoots::Bundled).unwrap();
        assert!(Arc::ptr_eq(
            &a.crypto_provider().clone(),
            &b.crypto_provider().clone()
        ));
        reqwest_builder(TrustRoots::Bundled)
            .unwrap()
            .build()
            .unwrap();
    }

    #[test]
    fn trust_store_settings_parse_and_bad_ones_are_named() {
        assert_eq!(TrustRoots::parse(" Native ").unwrap(), TrustRoots::Native);
        assert_eq!(TrustRoots::parse("bundled").unwrap(), TrustRoots::Bundled);
        assert!(TrustRoots::parse("system")
            .unwrap_err()
            .contains("`system`"));
    }
}
