//! Small cryptographic helpers: random secrets, token hashes, keyed MACs and Argon2id.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::{AppError, AppResult};

/// `n` random bytes from the OS.
pub fn random_bytes<const N: usize>() -> AppResult<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("rng: {e}")))?;
    Ok(b)
}

/// A 256-bit random secret, URL-safe base64 (used for sessions and tokens).
pub fn new_token() -> AppResult<String> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// A uniformly random number below `bound`.
pub fn random_below(bound: u32) -> AppResult<u32> {
    // Rejection sampling keeps the distribution uniform.
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let v = u32::from_le_bytes(random_bytes::<4>()?);
        if v < zone {
            return Ok(v % bound);
        }
    }
}

/// SHA-256 of a bearer secret, hex. Only this is stored, so a database leak gives no sessions.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn mac(key: &str, parts: &[&str]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("hmac takes any key"));
    for p in parts {
        m.update(p.as_bytes());
        m.update(b"\x1f");
    }
    m
}

/// Keyed MAC of several parts, hex.
pub fn keyed_hash(key: &str, parts: &[&str]) -> String {
    hex::encode(mac(key, parts).finalize().into_bytes())
}

/// Constant-time check of a keyed MAC.
pub fn keyed_hash_matches(key: &str, parts: &[&str], expected_hex: &str) -> bool {
    match hex::decode(expected_hex) {
        Ok(bytes) => mac(key, parts).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// Argon2id hash of a password (PHC string). CPU-heavy: call from a blocking thread.
pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = random_bytes::<16>()?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Verifies a password against a PHC string; malformed hashes never match.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A valid Argon2id hash of a random password, verified against when the phone is unknown so
/// that timing does not reveal which phones have accounts.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$mS5Ctv7Qf6DQ6+7jgi9a0Cy9cwE0dR0GZkT28jhJ0rI";

/// Encrypts personal data (real names, identity numbers) for storage: AES-256-GCM with a key
/// derived from the server secret and a fresh random nonce; returns base64(nonce ‖ ciphertext).
pub fn seal(secret: &str, plaintext: &str) -> AppResult<String> {
    use aes_gcm::{
        Aes256Gcm, Nonce,
        aead::{Aead, KeyInit},
    };
    let cipher = Aes256Gcm::new_from_slice(&pii_key(secret))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let nonce_bytes = random_bytes::<12>()?;
    let nonce = Nonce::from(nonce_bytes);
    let ct = cipher
        .encrypt(&nonce, plaintext.as_bytes())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut out = nonce_bytes.to_vec();
    out.extend_from_slice(&ct);
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

/// Decrypts what [`seal`] produced; tampered or foreign data is an error.
pub fn open(secret: &str, sealed: &str) -> AppResult<String> {
    use aes_gcm::{
        Aes256Gcm, Nonce,
        aead::{Aead, KeyInit},
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .map_err(|_| AppError::Internal("sealed data is not base64".into()))?;
    if raw.len() < 12 {
        return Err(AppError::Internal("sealed data too short".into()));
    }
    let (nonce, ct) = raw.split_at(12);
    let nonce: [u8; 12] = nonce
        .try_into()
        .map_err(|_| AppError::Internal("bad nonce".into()))?;
    let cipher = Aes256Gcm::new_from_slice(&pii_key(secret))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let pt = cipher
        .decrypt(&Nonce::from(nonce), ct)
        .map_err(|_| AppError::Internal("sealed data failed authentication".into()))?;
    String::from_utf8(pt).map_err(|_| AppError::Internal("sealed data is not UTF-8".into()))
}

/// The personal-data key: a MAC of a fixed label under the server secret (domain separation:
/// the same secret also keys SMS codes and CSRF tokens).
fn pii_key(secret: &str) -> [u8; 32] {
    mac(secret, &["linli-pii-v1"])
        .finalize()
        .into_bytes()
        .into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sealed_personal_data_round_trips_and_resists_tampering() {
        let sealed = seal("k", "11010519491231002X").unwrap();
        assert!(!sealed.contains("1101"));
        assert_ne!(
            seal("k", "11010519491231002X").unwrap(),
            sealed,
            "fresh nonce each time"
        );
        assert_eq!(open("k", &sealed).unwrap(), "11010519491231002X");
        assert!(open("other", &sealed).is_err());
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(&sealed)
            .unwrap();
        raw[14] ^= 1;
        assert!(open("k", &base64::engine::general_purpose::STANDARD.encode(raw)).is_err());
    }

    use super::*;

    #[test]
    fn passwords_verify_and_hashes_are_argon2id() {
        let h = hash_password("abc12345").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("abc12345", &h));
        assert!(!verify_password("abc12346", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn keyed_hashes_depend_on_key_and_parts() {
        let h = keyed_hash("k", &["13800000000", "123456"]);
        assert!(keyed_hash_matches("k", &["13800000000", "123456"], &h));
        assert!(!keyed_hash_matches("k", &["13800000000", "123457"], &h));
        assert!(!keyed_hash_matches("k2", &["13800000000", "123456"], &h));
        assert!(!keyed_hash_matches("k", &["13800000000", "123456"], "zz"));
    }

    #[test]
    fn random_numbers_stay_below_the_bound() {
        for _ in 0..1000 {
            assert!(random_below(1_000_000).unwrap() < 1_000_000);
        }
        assert_ne!(new_token().unwrap(), new_token().unwrap());
    }
}
