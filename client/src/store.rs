//! Durable files in the app's data directory, for the outbox and the flow snapshots: atomic
//! writes, reads that tell a missing file from an unreadable one, quarantine that never
//! overwrites, cleanup of what killed writers leave, and advisory locks between the clients and
//! processes sharing a directory (an app and its extension).
//!
//! - **Atomic and durable**: a write goes to a temporary file in the same directory (mode 0600,
//!   locked while written), is `fsync`ed, renamed over the target, and the directory is
//!   `fsync`ed: a crash leaves the old file or the new one, never half of one. A write that fails
//!   (a full disk, a directory that refuses writes) returns the error and leaves the old file.
//! - **Only regular files, never followed, never blocking**: a listing skips every entry that is
//!   not a regular file (a FIFO, socket, device, directory or symbolic link) before opening
//!   anything. Every open uses `O_NOFOLLOW | O_NONBLOCK` and then checks the opened handle
//!   (`fstat`) is a regular file, so an entry swapped in meanwhile is refused too: nothing in the
//!   directory can block a launch (a FIFO) or lead outside the directory (a symbolic link).
//!   Creation refuses a symbolic link at the name (`O_CREAT | O_EXCL | O_NOFOLLOW` for
//!   temporaries, `O_CREAT | O_NOFOLLOW` for lock files): nothing is ever written through one.
//!   To a read, an entry that is not a regular file is [`ReadOutcome::Missing`]: not ours.
//! - **Plain names only**: only names of `[A-Za-z0-9_.-]`, at most 240 bytes, are listed, opened
//!   or moved. Any other entry is ignored: never opened, moved, removed or counted.
//! - **Nothing lost**: a file that cannot be read (permission, EMFILE, EIO, …) is left in place and
//!   reported as unreadable, to be tried again; only content that cannot be decoded is moved
//!   aside, under a new name (`<name>.corrupt-<unix time>-<random>`), never over another file.
//!   A file moved aside is no longer listed, so it is counted once, by the call that moved it.
//!   One pass moves at most [`CORRUPT_KEEP`] files aside (no more would be kept): beyond that,
//!   undecodable files are removed outright (and counted the same).
//! - **Cleanup at open** (the launch pass, [`Store::open`]): temporary files whose writer is gone
//!   (their lock is free) or that are older than [`STALE_TMP_AGE`] are removed, and the
//!   `.corrupt-*` files are pruned: at most [`CORRUPT_KEEP`] of them, the newest, are kept, and
//!   none older than [`CORRUPT_MAX_AGE`] (their age is the time in their name). The same pruning
//!   follows every pass that moved files aside.
//! - **One directory `fsync` per pass**: the removals and renames of a pass over the directory
//!   (the cleanup at open, the quarantines and removals of a launch's scan, see [`Batch`]) are
//!   made durable by one `fsync` of the directory at the end of the pass, not one per file. A
//!   crash before it can only bring back a file the next launch handles again the same way.
//! - **Locks**: `flock`-style advisory locks (`std::fs::File::try_lock`). A lock is taken on a file
//!   and then checked to still be the file at that path, so a file removed by its holder is never
//!   mistaken for a free one.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// Temporary files start with this and end in [`TMP_SUFFIX`].
const TMP_PREFIX: &str = ".";
const TMP_SUFFIX: &str = ".tmp";
/// What a quarantined file's name carries after the original name.
const CORRUPT_MARK: &str = ".corrupt-";
/// A temporary file older than this is removed at open even if it looks locked.
pub const STALE_TMP_AGE: Duration = Duration::from_secs(60);
/// Files larger than this are not read (they cannot be ours).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// At most this many `.corrupt-*` files (the newest) are kept per directory.
pub const CORRUPT_KEEP: usize = 20;
/// `.corrupt-*` files older than this (by the time in their name) are removed.
pub const CORRUPT_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// What reading a file found.
#[derive(Debug)]
pub enum ReadOutcome {
    Found(Vec<u8>),
    /// No regular file by that name: absent, or something that is not a regular file (a FIFO, a
    /// symbolic link, a directory …), which is never opened for reading, never followed.
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

/// What the cleanup at open did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tidy {
    /// Temporary files of dead writers removed.
    pub temporaries_removed: usize,
    /// `.corrupt-*` files removed by the age and count limits.
    pub corrupt_pruned: usize,
}

fn is_tmp(name: &str) -> bool {
    name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX)
}

/// `name` is a plain file name: no separator, no `..`, printable ASCII.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 240
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn check_name(name: &str) -> io::Result<()> {
    if is_plain_name(name) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a plain file name",
        ))
    }
}

/// The quarantine time of a `<name>.corrupt-<unix secs>-<8 hex>` name; `None` for any other name
/// (never pruned: it is not one of ours).
fn corrupt_time(name: &str) -> Option<u64> {
    let at = name.rfind(CORRUPT_MARK)?;
    if at == 0 {
        return None;
    }
    let (secs, random) = name[at + CORRUPT_MARK.len()..].split_once('-')?;
    let digits = !secs.is_empty() && secs.len() <= 20 && secs.bytes().all(|b| b.is_ascii_digit());
    let hex = random.len() == 8 && random.bytes().all(|b| b.is_ascii_hexdigit());
    if digits && hex {
        secs.parse().ok()
    } else {
        None
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The open flags that keep a store file from leading outside the directory or blocking.
///
/// `O_NOFOLLOW` and `O_NONBLOCK` differ between platforms and `libc` is not a dependency of the
/// core, so they are spelled here for the targets the library ships to, checked against the
/// platform headers (Linux/Android `asm-generic/fcntl.h` and the `arm`/`arm64` overrides; Darwin
/// `sys/fcntl.h`). `tests::open_flags_refuse_symlinks_and_never_block` proves them on the host.
/// On any other target they are 0: the listing's file-type check and the `fstat` of every opened
/// handle still apply, only an entry swapped in between the two is not refused by `open` itself.
#[cfg(unix)]
mod flags {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    mod values {
        #[cfg(any(
            target_arch = "x86",
            target_arch = "x86_64",
            target_arch = "arm",
            target_arch = "aarch64",
            target_arch = "riscv64"
        ))]
        pub const O_NONBLOCK: i32 = 0o4000;
        #[cfg(any(target_arch = "x86", target_arch = "x86_64", target_arch = "riscv64"))]
        pub const O_NOFOLLOW: i32 = 0o400000;
        #[cfg(any(target_arch = "arm", target_arch = "aarch64"))]
        pub const O_NOFOLLOW: i32 = 0o100000;
        #[cfg(not(any(
            target_arch = "x86",
            target_arch = "x86_64",
            target_arch = "arm",
            target_arch = "aarch64",
            target_arch = "riscv64"
        )))]
        pub const O_NONBLOCK: i32 = 0;
        #[cfg(not(any(
            target_arch = "x86",
            target_arch = "x86_64",
            target_arch = "arm",
            target_arch = "aarch64",
            target_arch = "riscv64"
        )))]
        pub const O_NOFOLLOW: i32 = 0;
    }
    #[cfg(target_vendor = "apple")]
    mod values {
        pub const O_NONBLOCK: i32 = 0x0004;
        pub const O_NOFOLLOW: i32 = 0x0100;
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    mod values {
        pub const O_NONBLOCK: i32 = 0;
        pub const O_NOFOLLOW: i32 = 0;
    }
    pub use values::{O_NOFOLLOW, O_NONBLOCK};

    /// Whether `open` itself refuses a symbolic link and never blocks on this target.
    pub const KNOWN: bool = O_NOFOLLOW != 0 && O_NONBLOCK != 0;
}

/// `options` with `O_NOFOLLOW | O_NONBLOCK` (and mode 0600 for a creation).
fn safe_options(options: &mut fs::OpenOptions) -> &mut fs::OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .custom_flags(flags::O_NOFOLLOW | flags::O_NONBLOCK)
            .mode(0o600)
    }
    #[cfg(not(unix))]
    {
        options
    }
}

fn not_regular() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a regular file")
}

/// Opens the existing regular file `path` for reading: never through a symbolic link, never
/// blocking, and checked after opening. `Ok(None)`: no regular file there.
fn open_regular(path: &Path) -> io::Result<Option<fs::File>> {
    // Where `open` cannot refuse by itself, a FIFO must never reach it: checked before.
    #[cfg(unix)]
    let check_first = !flags::KNOWN;
    #[cfg(not(unix))]
    let check_first = true;
    if check_first {
        match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_file() => {}
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    let file = match safe_options(fs::OpenOptions::new().read(true)).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            // A symbolic link swapped in since the check (ELOOP): not ours.
            return match fs::symlink_metadata(path) {
                Ok(m) if !m.file_type().is_file() => Ok(None),
                Err(n) if n.kind() == io::ErrorKind::NotFound => Ok(None),
                _ => Err(e),
            };
        }
    };
    // Whatever was swapped in between the check and the open, the handle tells the truth.
    if file.metadata()?.file_type().is_file() {
        Ok(Some(file))
    } else {
        Ok(None)
    }
}

/// Creates a new private file; fails if anything (a symbolic link included) has the name.
fn create_private(path: &Path) -> io::Result<fs::File> {
    safe_options(fs::OpenOptions::new().write(true).create_new(true)).open(path)
}

/// Opens (creating it, mode 0600) a lock file; a symbolic link or anything but a regular file
/// at the name is refused.
fn open_lock_file(path: &Path) -> io::Result<fs::File> {
    let file = safe_options(
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .open(path)?;
    if file.metadata()?.file_type().is_file() {
        Ok(file)
    } else {
        Err(not_regular())
    }
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
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(s) = seam::lookup(dir) {
        s.dir_syncs.fetch_add(1, Ordering::Relaxed);
    }
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags::O_NONBLOCK)
        .open(dir)?
        .sync_all()
}

#[cfg(not(unix))]
fn sync_dir(dir: &Path) -> io::Result<()> {
    if let Some(s) = seam::lookup(dir) {
        s.dir_syncs.fetch_add(1, Ordering::Relaxed);
    }
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

/// The removals and renames of one pass over a directory, made durable together by one `fsync`
/// of the directory when the pass ends ([`Batch::finish`], or when dropped). A pass that moved
/// files aside also prunes the `.corrupt-*` files.
#[derive(Debug)]
pub struct Batch<'a> {
    store: &'a Store,
    dirty: AtomicBool,
    /// Moved aside in this pass.
    quarantined: AtomicUsize,
    /// Undecodable files removed because the pass already moved [`CORRUPT_KEEP`] aside.
    removed_outright: AtomicUsize,
}

impl Batch<'_> {
    /// Removes `name` (a missing file is fine).
    pub fn remove(&self, name: &str) -> io::Result<()> {
        check_name(name)?;
        witness::note();
        match fs::remove_file(self.store.dir.join(name)) {
            Ok(()) => {
                self.dirty.store(true, Ordering::Relaxed);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Moves `name` aside to a new `<name>.corrupt-<unix time>-<random>`, never over an existing
    /// file: `Some(new name)`. A pass moves at most [`CORRUPT_KEEP`] files aside (no more would
    /// be kept); beyond that `name` is removed outright: `None`.
    pub fn quarantine(&self, name: &str) -> io::Result<Option<String>> {
        check_name(name)?;
        let from = self.store.dir.join(name);
        if self.quarantined.load(Ordering::Relaxed) >= CORRUPT_KEEP {
            fs::remove_file(&from)?;
            self.dirty.store(true, Ordering::Relaxed);
            self.removed_outright.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        }
        let now = now_secs();
        for _ in 0..8 {
            let aside = format!("{name}{CORRUPT_MARK}{now}-{:08x}", fastrand::u32(..));
            let to = self.store.dir.join(&aside);
            // A hard link fails if the target exists: nothing is ever overwritten. It links the
            // entry itself, never what a symbolic link points to.
            match fs::hard_link(&from, &to) {
                Ok(()) => {
                    self.dirty.store(true, Ordering::Relaxed);
                    fs::remove_file(&from)?;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(e),
                Err(_) => {
                    // No hard links on this file system: rename to a name checked to be free.
                    if fs::symlink_metadata(&to).is_ok() {
                        continue;
                    }
                    fs::rename(&from, &to)?;
                    self.dirty.store(true, Ordering::Relaxed);
                }
            }
            self.quarantined.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(file = name, moved_to = %aside, "undecodable file moved aside");
            return Ok(Some(aside));
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free quarantine name",
        ))
    }

    /// Ends the pass: prunes the `.corrupt-*` files if any were added, then one `fsync` of the
    /// directory if anything changed.
    pub fn finish(self) -> io::Result<()> {
        self.end()
    }

    fn end(&self) -> io::Result<()> {
        let removed = self.removed_outright.swap(0, Ordering::Relaxed);
        if removed > 0 {
            tracing::warn!(
                removed,
                kept = CORRUPT_KEEP,
                "undecodable files beyond the quarantine limit removed"
            );
        }
        if self.quarantined.swap(0, Ordering::Relaxed) > 0 {
            let listed = self.store.entries().unwrap_or_default();
            if self.store.prune_corrupt(&listed) > 0 {
                self.dirty.store(true, Ordering::Relaxed);
            }
        }
        if self.dirty.swap(false, Ordering::Relaxed) {
            sync_dir(&self.store.dir)
        } else {
            Ok(())
        }
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.end() {
            tracing::warn!(error = %e, "directory sync after a pass failed");
        }
    }
}

/// One directory entry with a plain name: its name and type, read from the listing itself
/// (`d_type`, else `lstat`): never opened, never followed.
struct Entry {
    name: String,
    file_type: fs::FileType,
}

impl Store {
    /// Opens (creating it, mode 0700) and cleans `dir`: temporary files left by dead writers go,
    /// `.corrupt-*` files beyond the limits go, with one directory `fsync`.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Store> {
        let dir = dir.into();
        witness::note();
        create_dir_private(&dir)?;
        let store = Store { dir };
        store.tidy();
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A pass whose removals and renames share one directory `fsync`.
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            store: self,
            dirty: AtomicBool::new(false),
            quarantined: AtomicUsize::new(0),
            removed_outright: AtomicUsize::new(0),
        }
    }

    /// The entries with plain names. Others are skipped here and by every caller.
    fn entries(&self) -> io::Result<Vec<Entry>> {
        witness::note();
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let Ok(entry) = entry else { continue };
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if !is_plain_name(&name) {
                continue;
            }
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            out.push(Entry { name, file_type });
        }
        Ok(out)
    }

    /// The cleanup of [`open`](Self::open): removes the temporary files whose writer is gone
    /// (unlocked) or that are older than [`STALE_TMP_AGE`], and prunes the `.corrupt-*` files
    /// ([`CORRUPT_KEEP`], [`CORRUPT_MAX_AGE`]). One directory `fsync` if anything went. Best
    /// effort: an entry that vanishes, is not a regular file, or cannot be opened is skipped.
    pub fn tidy(&self) -> Tidy {
        let Ok(entries) = self.entries() else {
            return Tidy::default();
        };
        let mut tidy = Tidy::default();
        for entry in entries.iter().filter(|e| is_tmp(&e.name)) {
            if !entry.file_type.is_file() {
                continue; // a FIFO named like a temporary is never opened
            }
            let path = self.dir.join(&entry.name);
            let Ok(Some(file)) = open_regular(&path) else {
                continue;
            };
            let old = file
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > STALE_TMP_AGE);
            let abandoned = old || try_lock(&file).unwrap_or(false);
            drop(file);
            if abandoned && fs::remove_file(&path).is_ok() {
                tidy.temporaries_removed += 1;
            }
        }
        tidy.corrupt_pruned = self.prune_corrupt(&entries);
        if tidy != Tidy::default() {
            if let Err(e) = sync_dir(&self.dir) {
                tracing::warn!(error = %e, "directory sync after cleanup failed");
            }
            tracing::info!(
                temporaries = tidy.temporaries_removed,
                corrupt_pruned = tidy.corrupt_pruned,
                "store cleaned"
            );
        }
        tidy
    }

    /// Removes the `.corrupt-*` files older than [`CORRUPT_MAX_AGE`] and all but the
    /// [`CORRUPT_KEEP`] newest. No `fsync`: the caller's pass does it.
    fn prune_corrupt(&self, entries: &[Entry]) -> usize {
        let now = now_secs();
        let mut corrupt: Vec<(u64, &str)> = entries
            .iter()
            .filter(|e| !e.file_type.is_dir())
            .filter_map(|e| corrupt_time(&e.name).map(|t| (t, e.name.as_str())))
            .collect();
        // Newest first.
        corrupt.sort_unstable_by(|a, b| b.cmp(a));
        let mut pruned = 0;
        for (i, (time, name)) in corrupt.into_iter().enumerate() {
            let too_old = now.saturating_sub(time) > CORRUPT_MAX_AGE.as_secs();
            if (i >= CORRUPT_KEEP || too_old) && fs::remove_file(self.dir.join(name)).is_ok() {
                pruned += 1;
            }
        }
        pruned
    }

    /// Writes `bytes` to `name` atomically and durably (mode 0600). On failure the previous file,
    /// if any, is unchanged and no temporary file is left.
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        check_name(name)?;
        witness::note();
        let target = self.dir.join(name);
        let tmp = self.dir.join(format!(
            "{TMP_PREFIX}{name}.{}.{:016x}{TMP_SUFFIX}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let seam = seam::lookup(&self.dir);
        let result = (|| {
            let mut f = create_private(&tmp)?;
            // Held while writing: the cleanup of another process leaves a live write alone.
            let _ = f.try_lock();
            match seam.as_ref().and_then(|s| s.take_write(bytes.len())) {
                Some(fits) => {
                    f.write_all(&bytes[..fits])?;
                    return Err(seam::no_space());
                }
                None => f.write_all(bytes)?,
            }
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

    /// Reads `name`, telling a missing file from an unreadable one. Anything but a regular file
    /// is [`ReadOutcome::Missing`], found without opening it for reading.
    pub fn read(&self, name: &str) -> ReadOutcome {
        witness::note();
        if let Err(e) = check_name(name) {
            return ReadOutcome::Unreadable(e);
        }
        if let Some(s) = seam::lookup(&self.dir) {
            if let Some(e) = s.take_read_failure() {
                return ReadOutcome::Unreadable(e);
            }
        }
        let file = match open_regular(&self.dir.join(name)) {
            Ok(Some(f)) => f,
            Ok(None) => return ReadOutcome::Missing,
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

    /// Whether a regular file `name` exists (nothing is opened).
    pub fn exists(&self, name: &str) -> bool {
        is_plain_name(name)
            && fs::symlink_metadata(self.dir.join(name)).is_ok_and(|m| m.file_type().is_file())
    }

    /// Removes `name` (a missing file is fine) and syncs the directory.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        let batch = self.batch();
        batch.remove(name)?;
        batch.finish()
    }

    /// Regular files with plain names, this prefix and suffix, sorted. Temporary files, and
    /// anything that is not a regular file, are never listed.
    pub fn list(&self, prefix: &str, suffix: &str) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = self
            .entries()?
            .into_iter()
            .filter(|e| e.file_type.is_file())
            .map(|e| e.name)
            .filter(|n| n.starts_with(prefix) && n.ends_with(suffix) && !is_tmp(n))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Moves `name` aside (see [`Batch::quarantine`]) and syncs the directory. Returns the new
    /// name.
    pub fn quarantine(&self, name: &str) -> io::Result<String> {
        let batch = self.batch();
        // A pass of one is far below the limit: the file is always moved.
        let aside = batch.quarantine(name)?.unwrap_or_default();
        batch.finish()?;
        Ok(aside)
    }

    /// Locks the existing regular file `name` itself (its content never changes while it exists,
    /// e.g. a queued report). `Ok(None)` when it is missing, not a regular file, or another
    /// holder has it.
    pub fn lock_existing(&self, name: &str) -> io::Result<Option<FileLock>> {
        check_name(name)?;
        let path = self.dir.join(name);
        match open_regular(&path)? {
            Some(file) => self.finish_lock(file, path),
            None => Ok(None),
        }
    }

    /// Locks `name` as a lock file, creating it (mode 0600). `Ok(None)` when another holder has
    /// it. A symbolic link, FIFO or anything but a regular file at the name is an error.
    pub fn lock_file(&self, name: &str) -> io::Result<Option<FileLock>> {
        check_name(name)?;
        let path = self.dir.join(name);
        for _ in 0..4 {
            let file = open_lock_file(&path)?;
            match self.finish_lock(file, path.clone())? {
                Some(lock) => return Ok(Some(lock)),
                None if fs::symlink_metadata(&path).is_ok() => return Ok(None),
                // Removed by its holder between our open and lock: try again on a new file.
                None => continue,
            }
        }
        Ok(None)
    }

    /// Takes `file`'s lock and checks that `path` is still that file.
    fn finish_lock(&self, file: fs::File, path: PathBuf) -> io::Result<Option<FileLock>> {
        witness::note();
        if !try_lock(&file)? {
            return Ok(None);
        }
        let still_there = match (file.metadata(), fs::symlink_metadata(&path)) {
            (Ok(a), Ok(b)) => same_file(&a, &b),
            _ => false,
        };
        Ok(still_there.then_some(FileLock { _file: file, path }))
    }
}

/// Which thread last touched a store's files (any store of the process), and how often they were
/// touched: a hook for the FFI's tests, which prove that the disk work of every call runs on the
/// library's own thread, never on the caller's. Noted at every open, listing, read, write,
/// removal and lock; it costs one lock and the copy of a thread name, next to a system call.
#[doc(hidden)]
pub mod witness {
    use std::sync::Mutex;

    static LAST: Mutex<(u64, Option<String>)> = Mutex::new((0, None));

    pub(super) fn note() {
        let thread = std::thread::current().name().map(str::to_owned);
        let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
        *last = (last.0 + 1, thread);
    }

    /// How many store operations so far, and the name of the thread of the last one (`None`
    /// for a thread without a name).
    pub fn last() -> (u64, Option<String>) {
        LAST.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A test seam: deterministic storage faults and counters for one store directory, so tests can
/// fill the disk in the middle of a write, fail reads with `EIO`, and count the directory
/// `fsync`s of a launch. Nothing is watched unless a test calls [`seam::watch`]; until then the
/// seam costs a store operation one atomic load, and a directory not watched is never affected.
#[doc(hidden)]
pub mod seam {
    use std::io;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    static WATCHED: AtomicUsize = AtomicUsize::new(0);
    static DIRS: Mutex<Vec<(PathBuf, Arc<Faults>)>> = Mutex::new(Vec::new());

    /// The faults and counters of one directory.
    #[derive(Debug)]
    pub struct Faults {
        /// Atomic writes still accepted before the disk is full (`u64::MAX`: no limit).
        writes_left: AtomicU64,
        fail_reads: AtomicBool,
        pub(super) dir_syncs: AtomicU64,
        injected: AtomicU64,
    }

    impl Faults {
        /// The next `n` atomic writes succeed; the one after writes half its bytes and fails
        /// with `ENOSPC`, and so does every later one (the disk is full). `None`: no limit.
        pub fn fill_after_writes(&self, n: Option<u64>) {
            self.writes_left
                .store(n.unwrap_or(u64::MAX), Ordering::SeqCst);
        }

        /// Every read fails with `EIO` while set.
        pub fn fail_reads(&self, on: bool) {
            self.fail_reads.store(on, Ordering::SeqCst);
        }

        /// Directory `fsync`s so far.
        pub fn dir_syncs(&self) -> u64 {
            self.dir_syncs.load(Ordering::SeqCst)
        }

        /// Faults injected so far (a test asserts the failure it wanted really happened).
        pub fn injected(&self) -> u64 {
            self.injected.load(Ordering::SeqCst)
        }

        /// `Some(bytes that fit)` when this write must fail.
        pub(super) fn take_write(&self, len: usize) -> Option<usize> {
            let left = self.writes_left.load(Ordering::SeqCst);
            if left == u64::MAX {
                return None;
            }
            if left > 0 {
                self.writes_left.store(left - 1, Ordering::SeqCst);
                return None;
            }
            self.injected.fetch_add(1, Ordering::SeqCst);
            Some(len / 2)
        }

        pub(super) fn take_read_failure(&self) -> Option<io::Error> {
            if self.fail_reads.load(Ordering::SeqCst) {
                self.injected.fetch_add(1, Ordering::SeqCst);
                Some(io_error(5, io::ErrorKind::Other)) // EIO
            } else {
                None
            }
        }
    }

    fn io_error(_errno: i32, _kind: io::ErrorKind) -> io::Error {
        #[cfg(unix)]
        {
            io::Error::from_raw_os_error(_errno)
        }
        #[cfg(not(unix))]
        {
            io::Error::from(_kind)
        }
    }

    pub(super) fn no_space() -> io::Error {
        io_error(28, io::ErrorKind::StorageFull) // ENOSPC
    }

    /// Watches `dir` (the exact path a store was opened with) until the guard is dropped.
    pub fn watch(dir: &Path) -> Watch {
        let faults = Arc::new(Faults {
            writes_left: AtomicU64::new(u64::MAX),
            fail_reads: AtomicBool::new(false),
            dir_syncs: AtomicU64::new(0),
            injected: AtomicU64::new(0),
        });
        let mut dirs = DIRS.lock().unwrap_or_else(|p| p.into_inner());
        dirs.push((dir.to_owned(), faults.clone()));
        WATCHED.fetch_add(1, Ordering::SeqCst);
        Watch {
            dir: dir.to_owned(),
            faults,
        }
    }

    /// Stops watching its directory when dropped.
    #[derive(Debug)]
    pub struct Watch {
        dir: PathBuf,
        faults: Arc<Faults>,
    }

    impl std::ops::Deref for Watch {
        type Target = Faults;
        fn deref(&self) -> &Faults {
            &self.faults
        }
    }

    impl Drop for Watch {
        fn drop(&mut self) {
            let mut dirs = DIRS.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = dirs
                .iter()
                .position(|(d, f)| *d == self.dir && Arc::ptr_eq(f, &self.faults))
            {
                dirs.remove(i);
                WATCHED.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    pub(super) fn lookup(dir: &Path) -> Option<Arc<Faults>> {
        if WATCHED.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let dirs = DIRS.lock().unwrap_or_else(|p| p.into_inner());
        dirs.iter().find(|(d, _)| d == dir).map(|(_, f)| f.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A FIFO at `path`, made by `mkfifo(3)` in this process. Not by running `mkfifo(1)`: the
    /// fork would give the child a copy of every file the other tests hold open, their flock'ed
    /// lock files included, until it execs, so a lock just released could still look held.
    #[cfg(unix)]
    pub(crate) fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::FileTypeExt;
        let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call.
        let rc = unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) };
        assert_eq!(
            rc,
            0,
            "mkfifo {}: {}",
            path.display(),
            io::Error::last_os_error()
        );
        assert!(fs::symlink_metadata(path).unwrap().file_type().is_fifo());
    }

    /// Runs `f` on a thread; fails the test if it has not returned within `limit` (a hang).
    fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(limit)
            .unwrap_or_else(|_| panic!("still blocked after {limit:?}"))
    }

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
        assert_eq!(store.tidy().temporaries_removed, 1);
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
        store.write_atomic("r.json", b"{}").unwrap();
        // An I/O error on read (EIO through the seam; EACCES, EMFILE behave the same).
        let seam = seam::watch(store.dir());
        seam.fail_reads(true);
        assert!(matches!(store.read("r.json"), ReadOutcome::Unreadable(_)));
        assert_eq!(seam.injected(), 1, "the read really failed");
        assert!(store.path("r.json").exists());
        seam.fail_reads(false);
        assert!(matches!(store.read("r.json"), ReadOutcome::Found(b) if b == b"{}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            store.write_atomic("p.json", b"{}").unwrap();
            fs::set_permissions(store.path("p.json"), fs::Permissions::from_mode(0o000)).unwrap();
            // Root reads anything: then only the seam case above applies.
            if fs::read(store.path("p.json")).is_err() {
                assert!(matches!(store.read("p.json"), ReadOutcome::Unreadable(_)));
            }
            assert!(store.path("p.json").exists());
        }
    }

    #[test]
    fn a_full_disk_mid_write_keeps_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.write_atomic("x.json", b"old").unwrap();
        let seam = seam::watch(store.dir());
        seam.fill_after_writes(Some(1));
        store.write_atomic("x.json", b"second").unwrap();
        let e = store
            .write_atomic("x.json", b"third, cut in half")
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull, "{e}");
        assert_eq!(seam.injected(), 1);
        assert!(matches!(store.read("x.json"), ReadOutcome::Found(b) if b == b"second"));
        let names: Vec<_> = fs::read_dir(store.dir()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "no temporary left: {names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn open_flags_refuse_symlinks_and_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, b"outside").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        // The flags themselves (no lstat before): a symbolic link is refused by `open`.
        let opened = safe_options(fs::OpenOptions::new().read(true)).open(&link);
        assert!(opened.is_err(), "O_NOFOLLOW is wrong for this target");
        // A FIFO without a writer: a blocking open would wait forever.
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        let started = Instant::now();
        let f = within(Duration::from_secs(5), move || {
            safe_options(fs::OpenOptions::new().read(true))
                .open(&fifo)
                .map(|f| f.metadata().unwrap().file_type().is_file())
        });
        assert!(!f.unwrap(), "opened at once, and not a regular file");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[cfg(unix)]
    #[test]
    fn fifos_symlinks_and_directories_are_never_opened_followed_or_listed() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("flow-outside.json");
        fs::write(&secret, b"outside").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let store = within(Duration::from_secs(5), move || {
            mkfifo(&path.join(".x.json.1.abc.tmp"));
            mkfifo(&path.join("r-fifo.json"));
            mkfifo(&path.join("l-fifo.lock"));
            fs::create_dir(path.join("r-dir.json")).unwrap();
            Store::open(path).unwrap()
        });
        std::os::unix::fs::symlink(&secret, store.path("r-link.json")).unwrap();
        let dangling = outside.path().join("created-through-a-link");
        std::os::unix::fs::symlink(&dangling, store.path("l-link.lock")).unwrap();
        std::os::unix::fs::symlink(&dangling, store.path("w-link.json")).unwrap();
        store.write_atomic("r-ok.json", b"ok").unwrap();

        let s = store.clone();
        within(Duration::from_secs(5), move || {
            assert_eq!(s.list("r-", ".json").unwrap(), ["r-ok.json"]);
            for name in ["r-fifo.json", "r-dir.json", "r-link.json"] {
                assert!(matches!(s.read(name), ReadOutcome::Missing), "{name}");
                assert!(s.lock_existing(name).unwrap().is_none(), "{name}");
                assert!(!s.exists(name), "{name}");
            }
            // Refused at creation: nothing is created or opened through a link.
            assert!(s.lock_file("l-link.lock").is_err());
            assert!(s.lock_file("l-fifo.lock").is_err());
            assert_eq!(
                s.tidy(),
                Tidy::default(),
                "the FIFO temporary is left alone"
            );
        });
        assert!(!dangling.exists(), "nothing created outside the directory");
        // A write replaces the link itself, never what it points to.
        store.write_atomic("w-link.json", b"ours").unwrap();
        assert!(!dangling.exists());
        assert_eq!(fs::read(&secret).unwrap(), b"outside");
        assert!(fs::symlink_metadata(store.path("w-link.json"))
            .unwrap()
            .file_type()
            .is_file());
    }

    #[test]
    fn odd_names_are_ignored_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for name in ["r-a b.json", "r-é.json", "r-x\\y.json"] {
            fs::write(dir.path().join(name), b"{}").unwrap();
        }
        store.write_atomic("r-ok.json", b"{}").unwrap();
        assert_eq!(store.list("r-", ".json").unwrap(), ["r-ok.json"]);
    }

    #[test]
    fn corrupt_files_are_pruned_by_count_and_age() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = now_secs();
        // 30 recent ones (one second apart), 3 too old, and names that only look alike.
        for i in 0..30u64 {
            fs::write(
                store.path(&format!("r.json.corrupt-{}-{:08x}", now - i, i)),
                b"x",
            )
            .unwrap();
        }
        let old = now - CORRUPT_MAX_AGE.as_secs() - 10;
        for i in 0..3u64 {
            fs::write(
                store.path(&format!("f.json.corrupt-{}-{:08x}", old - i, i)),
                b"x",
            )
            .unwrap();
        }
        for name in [
            "x.corrupt-12",
            ".corrupt-1-00000000",
            "x.corrupt-1-0000000g",
            "keep.json",
        ] {
            fs::write(store.path(name), b"x").unwrap();
        }
        let seam = seam::watch(store.dir());
        let tidy = store.tidy();
        assert_eq!(tidy.corrupt_pruned, 30 - CORRUPT_KEEP + 3);
        assert_eq!(seam.dir_syncs(), 1, "one fsync for the whole cleanup");
        let mut left: Vec<String> = fs::read_dir(store.dir())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().into_string().unwrap())
            .filter(|n| corrupt_time(n).is_some())
            .collect();
        left.sort();
        let mut expected: Vec<String> = (0..CORRUPT_KEEP as u64)
            .map(|i| format!("r.json.corrupt-{}-{:08x}", now - i, i))
            .collect();
        expected.sort();
        assert_eq!(left, expected, "the newest are kept");
        for name in [
            "x.corrupt-12",
            ".corrupt-1-00000000",
            "x.corrupt-1-0000000g",
        ] {
            assert!(store.path(name).exists(), "{name} is not ours to prune");
        }
        assert_eq!(store.tidy(), Tidy::default());
        assert_eq!(seam.dir_syncs(), 1, "nothing to do, no fsync");
    }

    #[test]
    fn a_pass_syncs_the_directory_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for i in 0..50 {
            fs::write(store.path(&format!("r-{i}.json")), b"x").unwrap();
        }
        let seam = seam::watch(store.dir());
        let batch = store.batch();
        for i in 0..25 {
            let aside = batch.quarantine(&format!("r-{i}.json")).unwrap();
            assert_eq!(
                aside.is_some(),
                i < CORRUPT_KEEP,
                "{i}: moved, then removed"
            );
        }
        for i in 25..50 {
            batch.remove(&format!("r-{i}.json")).unwrap();
        }
        assert_eq!(seam.dir_syncs(), 0);
        batch.finish().unwrap();
        assert_eq!(seam.dir_syncs(), 1);
        let left = fs::read_dir(store.dir()).unwrap().count();
        assert_eq!(left, CORRUPT_KEEP, "pruned at the end of the pass");
    }
}
