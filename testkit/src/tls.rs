//! TLS for the loopback origin: certificates made on the spot (rcgen) and a listener that
//! does the handshake before axum sees the connection.
//!
//! - [`self_signed`]: valid now, for `localhost` and `127.0.0.1`, trusted by nobody.
//! - [`expired`]: the same, but valid only in the year 2000.
//! - [`ca_signed`]: a leaf signed by a fresh private CA; give [`TestCert::ca_der`] to the
//!   client as an extra root and the server is trusted (to test what happens *after*
//!   the handshake, such as a redirect to plain http).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// A server certificate and its key, DER.
#[derive(Clone)]
pub struct TestCert {
    /// The server's certificate.
    pub cert_der: Vec<u8>,
    /// Its private key (PKCS#8).
    pub key_der: Vec<u8>,
    /// The CA that signed it, when not self-signed.
    pub ca_der: Option<Vec<u8>>,
}

fn leaf_params() -> CertificateParams {
    CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).expect("certificate names")
}

/// Self-signed, valid now.
pub fn self_signed() -> TestCert {
    let key = KeyPair::generate().expect("key");
    let cert = leaf_params().self_signed(&key).expect("self-sign");
    TestCert { cert_der: cert.der().to_vec(), key_der: key.serialize_der(), ca_der: None }
}

/// Self-signed, expired since 2001.
pub fn expired() -> TestCert {
    let key = KeyPair::generate().expect("key");
    let mut params = leaf_params();
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    let cert = params.self_signed(&key).expect("self-sign");
    TestCert { cert_der: cert.der().to_vec(), key_der: key.serialize_der(), ca_der: None }
}

/// Signed by a private CA returned in `ca_der`.
pub fn ca_signed() -> TestCert {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let key = KeyPair::generate().expect("key");
    let cert = leaf_params().signed_by(&key, &ca, &ca_key).expect("sign");
    TestCert { cert_der: cert.der().to_vec(), key_der: key.serialize_der(), ca_der: Some(ca.der().to_vec()) }
}

/// A TCP listener that completes a TLS handshake on each connection; connections whose
/// handshake fails (the client refused the certificate) are dropped.
pub(crate) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener, cert: &TestCert) -> TlsListener {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_der.clone().into());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert_der.clone().into()], key)
            .expect("server certificate");
        TlsListener { tcp, acceptor: TlsAcceptor::from(Arc::new(config)) }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, SocketAddr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else { continue };
            // One handshake at a time is plenty for tests; a stuck one cannot block the rest.
            if let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(5), self.acceptor.accept(tcp)).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}
