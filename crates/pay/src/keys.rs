//! Key material shared by the merchant (the platform) and the PSP.
//!
//! - the merchant's RSA key signs requests (`Authorization` header); the PSP verifies them with
//!   the matching public key;
//! - the PSP's RSA key signs responses and notifications; the merchant verifies them;
//! - the 32-byte "APIv3 key" encrypts notification resources (AES-256-GCM).
//!
//! Serial numbers stand in for certificate serials: the first 20 bytes of SHA-256 over the public
//! key's DER (SPKI), upper-case hex, so both sides derive the same value from the key alone.

use std::fmt;
use std::path::{Path, PathBuf};

use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{PrivateKey, PublicKey};
use sha2::{Digest, Sha256};

/// Modulus size of generated keys (as WeChat Pay's merchant certificates).
pub const KEY_BITS: usize = 2048;

/// File names inside a keys directory.
pub const MERCHANT_PRIVATE_FILE: &str = "merchant_private.pem";
/// The PSP's private key (the sandbox reads it; a real merchant would only hold the public key).
pub const PSP_PRIVATE_FILE: &str = "psp_private.pem";
/// The APIv3 key, 64 hex characters.
pub const API_V3_KEY_FILE: &str = "api_v3_key";

// Sandbox/test-only keys, committed on purpose (see testdata/README.md). Never use in production.
const TEST_MERCHANT_PEM: &str = include_str!("../testdata/merchant_private.pem");
const TEST_PSP_PEM: &str = include_str!("../testdata/psp_private.pem");
const TEST_API_V3_KEY: &str = include_str!("../testdata/api_v3_key");
const TEST_FOREIGN_PEM: &str = include_str!("../testdata/foreign_private.pem");

/// Why keys could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A key file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A key file's content is not a valid key.
    #[error("{path}: invalid key: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Key generation or encoding failed.
    #[error("key generation failed: {0}")]
    Generate(String),
}

/// All key material of one merchant ↔ PSP relationship.
#[derive(Clone)]
pub struct Keys {
    /// Signs the merchant's requests.
    pub merchant_private: PrivateKey,
    /// Serial of the merchant key (`serial_no` in `Authorization`).
    pub merchant_serial: String,
    /// Signs PSP responses and notifications; only the sandbox holds it.
    pub psp_private: Option<PrivateKey>,
    /// Verifies PSP responses and notifications.
    pub psp_public: PublicKey,
    /// Serial of the PSP key (`Wechatpay-Serial`).
    pub psp_serial: String,
    /// AES-256-GCM key of notification resources.
    pub api_v3_key: [u8; 32],
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("merchant_serial", &self.merchant_serial)
            .field("psp_serial", &self.psp_serial)
            .field("has_psp_private", &self.psp_private.is_some())
            .finish_non_exhaustive()
    }
}

/// Serial number of a public key: upper-case hex of the first 20 bytes of SHA-256(SPKI DER).
pub fn serial_of(public: &PublicKey) -> String {
    match public.to_public_key_der() {
        Ok(der) => {
            let digest = Sha256::digest(der.as_bytes());
            hex::encode_upper(&digest[..20])
        }
        // Encoding a valid in-memory key does not fail; a sentinel keeps this total.
        Err(_) => "INVALID".to_owned(),
    }
}

impl Keys {
    /// Assembles keys from their parts; serials are derived from the public keys.
    pub fn from_parts(
        merchant_private: PrivateKey,
        psp_private: PrivateKey,
        api_v3_key: [u8; 32],
    ) -> Keys {
        let merchant_serial = serial_of(merchant_private.as_public_key());
        let psp_public = psp_private.to_public_key();
        let psp_serial = serial_of(&psp_public);
        Keys {
            merchant_private,
            merchant_serial,
            psp_private: Some(psp_private),
            psp_public,
            psp_serial,
            api_v3_key,
        }
    }

    /// The merchant's public key (what the PSP verifies requests with).
    pub fn merchant_public(&self) -> PublicKey {
        self.merchant_private.to_public_key()
    }

    /// The same keys without the PSP's private key: what a real merchant holds.
    pub fn merchant_side(&self) -> Keys {
        Keys {
            psp_private: None,
            ..self.clone()
        }
    }

    /// Fixed sandbox/test keys committed under `crates/pay/testdata/` (never generated, so
    /// tests stay fast in debug builds). Not secret: never use them against a real PSP.
    ///
    /// # Panics
    /// Only if the embedded test data is corrupt, which the crate's own tests rule out.
    pub fn for_tests() -> Keys {
        let parsed = parse_pem(TEST_MERCHANT_PEM).and_then(|m| {
            let p = parse_pem(TEST_PSP_PEM)?;
            let k = parse_api_v3_key(TEST_API_V3_KEY)?;
            Ok(Keys::from_parts(m, p, k))
        });
        parsed.unwrap_or_else(|e| panic!("embedded test keys are corrupt: {e}"))
    }

    /// A third fixed test key that belongs to neither side, for forging signatures in tests.
    ///
    /// # Panics
    /// Only if the embedded test data is corrupt, which the crate's own tests rule out.
    pub fn foreign_test_key() -> PrivateKey {
        parse_pem(TEST_FOREIGN_PEM)
            .unwrap_or_else(|e| panic!("embedded foreign test key is corrupt: {e}"))
    }

    /// Reads `merchant_private.pem`, `psp_private.pem` and `api_v3_key` (hex) from `dir`,
    /// generating and writing any that are missing (RSA 2048, PKCS#8 PEM, files mode 0600).
    /// Generation takes a while in debug builds; tests use [`Keys::for_tests`].
    pub fn load_or_create(dir: &Path) -> Result<Keys, KeyError> {
        std::fs::create_dir_all(dir).map_err(|e| KeyError::Io {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        let merchant = load_or_create_rsa(&dir.join(MERCHANT_PRIVATE_FILE))?;
        let psp = load_or_create_rsa(&dir.join(PSP_PRIVATE_FILE))?;
        let key_path = dir.join(API_V3_KEY_FILE);
        let api_v3_key = match read_optional(&key_path)? {
            Some(text) => parse_api_v3_key(&text).map_err(|message| KeyError::Invalid {
                path: key_path.clone(),
                message,
            })?,
            None => {
                let mut k = [0u8; 32];
                getrandom::fill(&mut k).map_err(|e| KeyError::Generate(e.to_string()))?;
                write_secret(&key_path, &format!("{}\n", hex::encode(k)))?;
                k
            }
        };
        Ok(Keys::from_parts(merchant, psp, api_v3_key))
    }
}

/// Parses a PKCS#8 PEM RSA private key.
pub fn parse_pem(pem: &str) -> Result<PrivateKey, String> {
    PrivateKey::from_pkcs8_pem(pem.trim()).map_err(|e| e.to_string())
}

/// Generates a fresh RSA-2048 key (slow in debug builds).
pub fn generate_private_key() -> Result<PrivateKey, KeyError> {
    PrivateKey::new(&mut getrandom::SysRng, KEY_BITS).map_err(|e| KeyError::Generate(e.to_string()))
}

/// PKCS#8 PEM of a private key.
pub fn private_key_pem(key: &PrivateKey) -> Result<String, KeyError> {
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.as_str().to_owned())
        .map_err(|e| KeyError::Generate(e.to_string()))
}

fn parse_api_v3_key(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text.trim()).map_err(|e| format!("api v3 key is not hex: {e}"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| "api v3 key must be 32 bytes".to_owned())
}

fn read_optional(path: &Path) -> Result<Option<String>, KeyError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(KeyError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

fn load_or_create_rsa(path: &Path) -> Result<PrivateKey, KeyError> {
    match read_optional(path)? {
        Some(pem) => parse_pem(&pem).map_err(|message| KeyError::Invalid {
            path: path.to_path_buf(),
            message,
        }),
        None => {
            let key = generate_private_key()?;
            write_secret(path, &private_key_pem(&key)?)?;
            Ok(key)
        }
    }
}

fn write_secret(path: &Path, content: &str) -> Result<(), KeyError> {
    use std::io::Write;
    let io = |e: std::io::Error| KeyError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(content.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn embedded_test_keys_parse_and_differ() {
        let k = Keys::for_tests();
        assert_eq!(k.merchant_serial.len(), 40);
        assert_ne!(k.merchant_serial, k.psp_serial);
        assert_ne!(
            serial_of(Keys::foreign_test_key().as_public_key()),
            k.psp_serial
        );
        assert!(k.psp_private.is_some());
        assert!(k.merchant_side().psp_private.is_none());
        assert!(!format!("{k:?}").contains("PRIVATE"));
    }

    #[test]
    fn load_or_create_reads_existing_files() {
        // Writes the test keys into a directory, so nothing is generated (slow in debug).
        let dir = std::env::temp_dir().join(format!("linli-pay-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let k = Keys::for_tests();
        std::fs::write(
            dir.join(MERCHANT_PRIVATE_FILE),
            private_key_pem(&k.merchant_private).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.join(PSP_PRIVATE_FILE),
            private_key_pem(k.psp_private.as_ref().unwrap()).unwrap(),
        )
        .unwrap();
        // The APIv3 key is missing: it is created, then read back the same the second time.
        let a = Keys::load_or_create(&dir).unwrap();
        let b = Keys::load_or_create(&dir).unwrap();
        assert_eq!(a.merchant_serial, k.merchant_serial);
        assert_eq!(a.psp_serial, k.psp_serial);
        assert_eq!(a.api_v3_key, b.api_v3_key);
        assert_ne!(a.api_v3_key, k.api_v3_key);
        std::fs::write(dir.join(API_V3_KEY_FILE), "zz").unwrap();
        assert!(matches!(
            Keys::load_or_create(&dir),
            Err(KeyError::Invalid { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Generates all three files from scratch. Slow in debug builds (RSA prime search), so it
    /// is ignored by default: `cargo nextest run -p linli-pay --run-ignored all generates`.
    #[test]
    #[ignore = "generates two RSA-2048 keys; slow in debug builds"]
    fn load_or_create_generates_missing_keys() {
        let dir = std::env::temp_dir().join(format!("linli-pay-gen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = Keys::load_or_create(&dir).unwrap();
        let b = Keys::load_or_create(&dir).unwrap();
        assert_eq!(a.merchant_serial, b.merchant_serial);
        assert_eq!(a.psp_serial, b.psp_serial);
        assert_eq!(a.api_v3_key, b.api_v3_key);
        assert_ne!(a.merchant_serial, a.psp_serial);
        let pem = std::fs::read_to_string(dir.join(MERCHANT_PRIVATE_FILE)).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(PSP_PRIVATE_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
