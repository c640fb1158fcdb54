//! Encrypted backups: a backup file is an age file (https://age-encryption.org) sealed with
//! the owner's passphrase through age's scrypt recipient. The database keeps only what
//! tells that a passphrase is set and checks a typed one (a small age file of a known text
//! under the passphrase), plus the passphrase sealed to this machine's own age key, which
//! lives in a file beside the database and never goes into it or into a backup.

use crate::error::{CoreError, Result};
use age::secrecy::{ExposeSecret, SecretString};
use std::fs;
use std::hash::Hasher;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// What an encrypted backup's name ends with, after `.db`.
pub const EXT: &str = ".age";
/// The first bytes of every age file.
const MAGIC: &[u8] = b"age-encryption.org/v1\n";
/// scrypt work factor N = 2^18 (256 MiB, about a second): age's reference value.
const LOG_N: u8 = 18;
/// The most work a file may ask for before it is refused (1 GiB of memory).
const MAX_LOG_N: u8 = 20;
/// The shortest passphrase the owner may set.
pub const MIN_CHARS: usize = 8;
/// The known text the check value holds.
const CHECK_TEXT: &[u8] = b"khachquen backup passphrase v1";
/// This machine's age key, beside the database (never inside it, never in a backup).
pub const KEY_FILE: &str = "backup.key";

static TEST_LOG_N: AtomicU8 = AtomicU8::new(0);

/// Tests only: a cheap scrypt work factor for what this process encrypts from now on.
/// Files keep their own factor in their header, so they still open anywhere.
#[doc(hidden)]
pub fn set_work_factor_for_tests(log_n: u8) {
    TEST_LOG_N.store(log_n.clamp(1, LOG_N), Ordering::Relaxed);
}

fn log_n() -> u8 {
    match TEST_LOG_N.load(Ordering::Relaxed) {
        0 => {}
        n => return n,
    }
    // Debug builds only (the CLI tests run one): a release binary always uses LOG_N.
    #[cfg(debug_assertions)]
    if let Some(n) = std::env::var("KHACHQUEN_TEST_SCRYPT_LOG_N")
        .ok()
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|n| (1..=LOG_N).contains(n))
    {
        return n;
    }
    LOG_N
}

/// A passphrase as given: `None` for absent or empty.
pub fn secret(passphrase: Option<&str>) -> Option<SecretString> {
    passphrase
        .filter(|p| !p.is_empty())
        .map(|p| SecretString::from(p.to_owned()))
}

pub fn check_length(passphrase: &SecretString) -> Result<()> {
    if passphrase.expose_secret().chars().count() < MIN_CHARS {
        return Err(CoreError::BackupPassphraseTooShort { min: MIN_CHARS });
    }
    Ok(())
}

/// An age file, judging by its first bytes (false for a missing or unreadable file).
pub fn is_encrypted(path: &Path) -> bool {
    crate::files::starts_with(path, MAGIC)
}

/// The name an encrypted backup of `target` gets: `.age` added when missing.
pub fn encrypted_name(target: &Path) -> PathBuf {
    let name = target.as_os_str().to_string_lossy();
    if name.ends_with(EXT) {
        return target.to_owned();
    }
    let mut s = target.as_os_str().to_owned();
    s.push(EXT);
    PathBuf::from(s)
}

fn recipient(passphrase: &SecretString) -> age::scrypt::Recipient {
    let mut r = age::scrypt::Recipient::new(passphrase.clone());
    r.set_work_factor(log_n());
    r
}

fn identity(passphrase: &SecretString) -> age::scrypt::Identity {
    let mut id = age::scrypt::Identity::new(passphrase.clone());
    id.set_max_work_factor(MAX_LOG_N);
    id
}

fn damaged(file: &str, detail: impl ToString) -> CoreError {
    CoreError::BackupEncryptedDamaged {
        file: file.to_owned(),
        detail: detail.to_string(),
    }
}

fn write_failed(path: &Path, e: impl ToString) -> CoreError {
    CoreError::BackupWriteFailed {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// A quick look at an encrypted backup without the passphrase: a sound age header that
/// opens with a passphrase. `label` names the file in errors.
pub fn check_header(path: &Path, label: &str) -> Result<()> {
    let f = open(path, label)?;
    let d = age::Decryptor::new_buffered(BufReader::new(f)).map_err(|e| header_error(label, e))?;
    if !d.is_scrypt() {
        return Err(CoreError::BackupForeign(label.to_owned()));
    }
    Ok(())
}

fn open(path: &Path, label: &str) -> Result<fs::File> {
    match fs::File::open(path) {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err(CoreError::BackupNotFound(label.to_owned()))
        }
        Err(e) => Err(e.into()),
    }
}

fn header_error(label: &str, e: age::DecryptError) -> CoreError {
    match e {
        age::DecryptError::UnknownFormat => CoreError::BackupForeign(label.to_owned()),
        e => damaged(label, e),
    }
}

/// Encrypt `plain` into `out` (a new file), synced. Returns the size written and a checksum
/// of the bytes, to compare with what reads back.
pub fn encrypt_file(plain: &Path, out: &Path, passphrase: &SecretString) -> Result<(u64, u64)> {
    let r = recipient(passphrase);
    let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
        .map_err(|e| CoreError::Internal(e.to_string()))?;
    let mut src = BufReader::with_capacity(1 << 16, fs::File::open(plain)?);
    // New (never a name someone planted) and readable by this user only.
    let file = crate::files::create_new_private(out).map_err(|e| write_failed(out, e))?;
    let mut sink = Summing::new(BufWriter::with_capacity(1 << 16, file));
    let mut w = enc
        .wrap_output(&mut sink)
        .map_err(|e| write_failed(out, e))?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        w.write_all(&buf[..n]).map_err(|e| write_failed(out, e))?;
    }
    w.finish().map_err(|e| write_failed(out, e))?;
    let (size, sum) = (sink.len, sink.hasher.finish());
    let file = sink
        .inner
        .into_inner()
        .map_err(|e| write_failed(out, e.error()))?;
    file.sync_all().map_err(|e| write_failed(out, e))?;
    Ok((size, sum))
}

/// Read a written file back: its size and checksum, as `encrypt_file` reported them.
pub fn checksum(path: &Path) -> io::Result<(u64, u64)> {
    let mut r = BufReader::with_capacity(1 << 16, fs::File::open(path)?);
    let mut sink = Summing::new(io::sink());
    io::copy(&mut r, &mut sink)?;
    Ok((sink.len, sink.hasher.finish()))
}

/// Decrypt the backup `path` into `out` (a new file, synced). Typed errors: a wrong
/// passphrase, a file cut short or altered, a file not sealed with a passphrase.
pub fn decrypt_file(path: &Path, label: &str, out: &Path, passphrase: &SecretString) -> Result<()> {
    let f = open(path, label)?;
    let d = age::Decryptor::new_buffered(BufReader::with_capacity(1 << 16, f))
        .map_err(|e| header_error(label, e))?;
    if !d.is_scrypt() {
        return Err(CoreError::BackupForeign(label.to_owned()));
    }
    let id = identity(passphrase);
    let mut reader = match d.decrypt(std::iter::once(&id as &dyn age::Identity)) {
        Ok(r) => r,
        Err(age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed) => {
            return Err(CoreError::BackupPassphraseWrong(label.to_owned()))
        }
        Err(age::DecryptError::ExcessiveWork { .. }) => {
            return Err(CoreError::BackupForeign(label.to_owned()))
        }
        Err(e) => return Err(damaged(label, e)),
    };
    // New (never a name someone planted) and readable by this user only.
    let file = crate::files::create_new_private(out).map_err(|e| write_failed(out, e))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // The stream's last chunk is missing (cut short) or a chunk fails its tag.
            Err(e) => return Err(damaged(label, e)),
        };
        w.write_all(&buf[..n]).map_err(|e| write_failed(out, e))?;
    }
    let file = w.into_inner().map_err(|e| write_failed(out, e.error()))?;
    file.sync_all().map_err(|e| write_failed(out, e))?;
    Ok(())
}

/// What the database keeps: a check value for the passphrase and the passphrase sealed to
/// this machine's key. Neither reveals the passphrase.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Stored {
    /// hex of an age file holding CHECK_TEXT under the passphrase (scrypt).
    pub check: String,
    /// hex of an age file holding the passphrase, for this machine's key (X25519).
    pub sealed: String,
}

impl Stored {
    /// Costs one scrypt (about a second): done when the owner sets the passphrase.
    pub fn new(passphrase: &SecretString, key: &age::x25519::Identity) -> Result<Stored> {
        let check = age::encrypt(&recipient(passphrase), CHECK_TEXT)
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        Ok(Stored {
            check: to_hex(&check),
            sealed: seal(passphrase, key)?,
        })
    }

    /// Does the typed passphrase open the check value? One scrypt.
    pub fn matches(&self, passphrase: &SecretString) -> Result<bool> {
        let bytes = from_hex(&self.check)
            .ok_or_else(|| CoreError::Internal("backup passphrase check unreadable".into()))?;
        match age::decrypt(&identity(passphrase), &bytes) {
            Ok(text) => Ok(text == CHECK_TEXT),
            Err(age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed) => {
                Ok(false)
            }
            Err(e) => Err(CoreError::Internal(e.to_string())),
        }
    }

    /// The passphrase, when this machine's key opens the sealed copy.
    pub fn unseal(&self, key: &age::x25519::Identity) -> Option<SecretString> {
        let bytes = from_hex(&self.sealed)?;
        let plain = age::decrypt(key, &bytes).ok()?;
        String::from_utf8(plain).ok().map(SecretString::from)
    }

    pub fn reseal(&mut self, passphrase: &SecretString, key: &age::x25519::Identity) -> Result<()> {
        self.sealed = seal(passphrase, key)?;
        Ok(())
    }
}

fn seal(passphrase: &SecretString, key: &age::x25519::Identity) -> Result<String> {
    let sealed = age::encrypt(&key.to_public(), passphrase.expose_secret().as_bytes())
        .map_err(|e| CoreError::Internal(e.to_string()))?;
    Ok(to_hex(&sealed))
}

/// This machine's key: `<dir>/backup.key`, made (readable by this user only) when
/// `create`; for an in-memory database, a key that lives as long as the process.
pub fn machine_key(dir: Option<&Path>, create: bool) -> Result<Option<age::x25519::Identity>> {
    let Some(dir) = dir else {
        static EPHEMERAL: OnceLock<age::x25519::Identity> = OnceLock::new();
        return Ok(Some(
            EPHEMERAL
                .get_or_init(age::x25519::Identity::generate)
                .clone(),
        ));
    };
    let path = dir.join(KEY_FILE);
    let existing = fs::read_to_string(&path)
        .ok()
        .and_then(|text| age::x25519::Identity::from_str(text.trim()).ok());
    if existing.is_some() || !create {
        return Ok(existing);
    }
    // Missing or unreadable: a new key (the old sealed copy is resealed by the caller).
    let key = age::x25519::Identity::generate();
    let tmp = dir.join(format!("{KEY_FILE}.tmp"));
    let _ = fs::remove_file(&tmp);
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(key.to_string().expose_secret().as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    });
    let placed = written.and_then(|_| fs::rename(&tmp, &path));
    if let Err(e) = placed {
        let _ = fs::remove_file(&tmp);
        return Err(write_failed(&path, e));
    }
    Ok(Some(key))
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    b.chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// A writer that counts and checksums what passes through (SipHash: a check against
/// write errors on a flaky drive, not against an attacker; age's tags do that).
struct Summing<W> {
    inner: W,
    len: u64,
    hasher: std::collections::hash_map::DefaultHasher,
}

impl<W> Summing<W> {
    fn new(inner: W) -> Self {
        Summing {
            inner,
            len: 0,
            hasher: std::collections::hash_map::DefaultHasher::new(),
        }
    }
}

impl<W: Write> Write for Summing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.write(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let bytes = [0u8, 1, 0xab, 0xff, 0x10];
        assert_eq!(to_hex(&bytes), "0001abff10");
        assert_eq!(from_hex("0001abff10").unwrap(), bytes);
        assert_eq!(from_hex("0g"), None);
        assert_eq!(from_hex("abc"), None);
    }

    #[test]
    fn checksum_ignores_how_writes_are_split() {
        let mut a = Summing::new(io::sink());
        a.write_all(b"hello world").unwrap();
        let mut b = Summing::new(io::sink());
        for part in [&b"hel"[..], b"lo wor", b"ld"] {
            b.write_all(part).unwrap();
        }
        assert_eq!((a.len, a.hasher.finish()), (b.len, b.hasher.finish()));
    }

    #[test]
    fn names() {
        assert_eq!(
            encrypted_name(Path::new("/m/x.db")),
            PathBuf::from("/m/x.db.age")
        );
        assert_eq!(
            encrypted_name(Path::new("/m/x.db.age")),
            PathBuf::from("/m/x.db.age")
        );
    }
}
