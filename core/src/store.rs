//! Durable files in the app's data directory, for the outbox and the flow snapshots: atomic
//! writes, reads that tell a missing file from an unreadable one, quarantine that never
//! overwrites, cleanup of what killed writers leave, and advisory locks between the clients and
//! processes sharing a directory (an app and its extension).
//!
//! - **Atomic and durable**: a write goes to a temporary file in the same directory (mode 0600,
//!   locked while written), is `fsync`ed, renamed over the target, and the directory is
//!   `fsync`ed: a crash leaves the old file or the new one, never half of one.
//! - **Nothing lost**: a file that cannot be read (permission, EMFILE, EIO, …) is left in place and
//!   reported as unreadable, to be tried again; only content that cannot be decoded is moved
//!   aside, under a new name (`<name>.corrupt-<time>-<random>`), never over another file.
//! - **Cleanup**: when a directory is opened, temporary files whose writer is gone (their lock is
//!   free) or that are older than a minute are removed.
//! - **Locks**: `flock`-style advisory locks (`std::fs::File::try_lock`). A lock is taken on a file
//!   and then checked to still be the file at that path, so a file removed by its holder is never
//!   mistaken for a free one.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Temporary files start with this and end in [`TMP_SUFFIX`].
const TMP_PREFIX: &str = ".";
const TMP_SUFFIX: &str = ".tmp";
/// A temporary file older than this is removed at open even if it looks locked.
pub const STALE_TMP_AGE: Duration = Duration::from_secs(60);
/// Files larger than this are not read (they cannot be ours).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// What reading a file found.
#[derive(Debug)]
pub enum ReadOutcome {
    Found(Vec<u8>),
    Missing,
    /// It exists but could not be read; it stays where it is.
    Unreadable(io::Error),
}

/// A directory of durable files.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// An advisory lock; released when dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: fs::File,
    path: PathBuf,
}

impl FileLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn is_tmp(name: &str) -> bool {
    name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX)
}

/// `name` is a plain file name: no separator, no `..`, printable ASCII.
fn check_name(name: &str) -> io::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 240
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a plain file name",
        ))
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn open_lock_file(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_lock_file(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

#[cfg(unix)]
fn create_dir_private(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir_private(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &fs::Metadata, _b: &fs::Metadata) -> bool {
    true
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Takes `file`'s lock without waiting: `Ok(false)` when another holder has it.
fn try_lock(file: &fs::File) -> io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(fs::TryLockError::WouldBlock) => Ok(false),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

impl Store {
    /// Opens (creating it, mode 0700) and cleans `dir`: temporary files left by dead writers go.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Store> {
        let dir = dir.into();
        create_dir_private(&dir)?;
        let store = Store { dir };
        store.clean_temporaries();
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Removes the temporary files whose writer is gone (unlocked) or that are older than
    /// [`STALE_TMP_AGE`]. Best effort: a file that vanishes or cannot be opened is skipped.
    pub fn clean_temporaries(&self) -> usize {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !is_tmp(name) {
                continue;
            }
            let path = entry.path();
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > STALE_TMP_AGE);
            let abandoned = old
                || fs::File::open(&path)
                    .ok()
                    .is_some_and(|f| try_lock(&f).unwrap_or(false));
            if abandoned && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
        if removed > 0 {
            let _ = sync_dir(&self.dir);
            tracing::info!(removed, "temporary files of interrupted writes removed");
        }
        removed
    }

    /// Writes `bytes` to `name` atomically and durably (mode 0600).
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        check_name(name)?;
        let target = self.dir.join(name);
        let tmp = self.dir.join(format!(
            "{TMP_PREFIX}{name}.{}.{:016x}{TMP_SUFFIX}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let result = (|| {
            let mut f = create_private(&tmp)?;
            // Held while writing: the cleanup of another process leaves a live write alone.
            let _ = f.try_lock();
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &target)?;
            drop(f);
            sync_dir(&self.dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Reads `name`, telling a missing file from an unreadable one.
    pub fn read(&self, name: &str) -> ReadOutcome {
        if let Err(e) = check_name(name) {
            return ReadOutcome::Unreadable(e);
        }
        let path = self.dir.join(name);
        let file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return ReadOutcome::Missing,
            Err(e) => return ReadOutcome::Unreadable(e),
        };
        let mut bytes = Vec::new();
        match file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
            Ok(_) if bytes.len() as u64 > MAX_FILE_BYTES => {
                // Too large to be ours: its content is unusable, like garbage.
                ReadOutcome::Found(Vec::new())
            }
            Ok(_) => ReadOutcome::Found(bytes),
            Err(e) => ReadOutcome::Unreadable(e),
        }
    }

    /// Removes `name` (a missing file is fine) and syncs the directory.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        check_name(name)?;
        match fs::remove_file(self.dir.join(name)) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// File names with this prefix and suffix, sorted. Temporary files are never listed.
    pub fn list(&self, prefix: &str, suffix: &str) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = fs::read_dir(&self.dir)?
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with(prefix) && n.ends_with(suffix) && !is_tmp(n))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Moves `name` aside to a new `<name>.corrupt-<unix time>-<random>`, never over an existing
    /// file. Returns the new name.
    pub fn quarantine(&self, name: &str) -> io::Result<String> {
        check_name(name)?;
        let from = self.dir.join(name);
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        for _ in 0..8 {
            let aside = format!("{name}.corrupt-{now}-{:08x}", fastrand::u32(..));
            let to = self.dir.join(&aside);
            // A hard link fails if the target exists: nothing is ever overwritten.
            match fs::hard_link(&from, &to) {
                Ok(()) => {
                    fs::remove_file(&from)?;
                    sync_dir(&self.dir)?;
                    tracing::warn!(file = name, moved_to = %aside, "unreadable file moved aside");
                    return Ok(aside);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(e),
                Err(_) => {
                    // No hard links on this file system: rename to a name checked to be free.
                    if to.exists() {
                        continue;
                    }
                    fs::rename(&from, &to)?;
                    sync_dir(&self.dir)?;
                    return Ok(aside);
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free quarantine name",
        ))
    }

    /// Locks the existing file `name` itself (its content never changes while it exists, e.g. a
    /// queued report). `Ok(None)` when it is missing or another holder has it.
    pub fn lock_existing(&self, name: &str) -> io::Result<Option<FileLock>> {
        check_name(name)?;
        let path = self.dir.join(name);
        let file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        self.finish_lock(file, path)
    }

    /// Locks `name` as a lock file, creating it (mode 0600). `Ok(None)` when another holder has
    /// it.
    pub fn lock_file(&self, name: &str) -> io::Result<Option<FileLock>> {
        check_name(name)?;
        let path = self.dir.join(name);
        for _ in 0..4 {
            let file = open_lock_file(&path)?;
            match self.finish_lock(file, path.clone())? {
                Some(lock) => return Ok(Some(lock)),
                None if path.exists() => return Ok(None),
                // Removed by its holder between our open and lock: try again on a new file.
                None => continue,
            }
        }
        Ok(None)
    }

    /// Takes `file`'s lock and checks that `path` is still that file.
    fn finish_lock(&self, file: fs::File, path: PathBuf) -> io::Result<Option<FileLock>> {
        if !try_lock(&file)? {
            return Ok(None);
        }
        let still_there = match (file.metadata(), fs::metadata(&path)) {
            (Ok(a), Ok(b)) => same_file(&a, &b),
            _ => false,
        };
        Ok(still_there.then_some(FileLock { _file: file, path }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_atomic_private_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("a/b")).unwrap();
        store.write_atomic("x.json", b"one").unwrap();
        store.write_atomic("x.json", b"two").unwrap();
        assert!(matches!(store.read("x.json"), ReadOutcome::Found(b) if b == b"two"));
        assert!(matches!(store.read("y.json"), ReadOutcome::Missing));
        let names: Vec<_> = fs::read_dir(store.dir()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path("x.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = fs::metadata(store.dir()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        for bad in ["../x", "a/b", "", "..", "a\0b"] {
            assert!(store.write_atomic(bad, b"x").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn abandoned_temporaries_are_cleaned_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        fs::write(dir.path().join(".x.json.1.abc.tmp"), b"half").unwrap();
        let live = dir.path().join(".y.json.2.def.tmp");
        fs::write(&live, b"writing").unwrap();
        let holder = fs::File::open(&live).unwrap();
        holder.try_lock().unwrap();
        assert_eq!(store.clean_temporaries(), 1);
        assert!(live.exists());
        drop(holder);
        let _ = Store::open(dir.path()).unwrap();
        assert!(!live.exists());
    }

    #[test]
    fn quarantine_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut asides = Vec::new();
        for i in 0..3 {
            fs::write(store.path("r.json"), format!("bad {i}")).unwrap();
            asides.push(store.quarantine("r.json").unwrap());
        }
        asides.sort();
        asides.dedup();
        assert_eq!(asides.len(), 3);
        for (i, a) in asides.iter().enumerate() {
            assert!(store.path(a).exists(), "{i}");
        }
    }

    #[test]
    fn locks_exclude_other_holders_and_removed_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = store.lock_file("f.lock").unwrap().expect("free");
        assert!(
            store.lock_file("f.lock").unwrap().is_none(),
            "second holder"
        );
        drop(a);
        assert!(store.lock_file("f.lock").unwrap().is_some());
        store.write_atomic("r.json", b"{}").unwrap();
        let held = store.lock_existing("r.json").unwrap().expect("free");
        assert!(store.lock_existing("r.json").unwrap().is_none());
        store.remove("r.json").unwrap();
        drop(held);
        assert!(store.lock_existing("r.json").unwrap().is_none(), "gone");
    }

    #[test]
    fn unreadable_files_are_reported_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // A directory where a file should be: opening works, reading fails (EISDIR), as an I/O
        // error would. Works as root too, unlike a permission change.
        fs::create_dir(store.path("r.json")).unwrap();
        assert!(matches!(store.read("r.json"), ReadOutcome::Unreadable(_)));
        assert!(store.path("r.json").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            store.write_atomic("p.json", b"{}").unwrap();
            fs::set_permissions(store.path("p.json"), fs::Permissions::from_mode(0o000)).unwrap();
            // Root reads anything: then only the directory case above applies.
            if fs::read(store.path("p.json")).is_err() {
                assert!(matches!(store.read("p.json"), ReadOutcome::Unreadable(_)));
            }
            assert!(store.path("p.json").exists());
        }
    }
}
