//! The durable outbox of completion reports.
//!
//! Before the core tells the backend that a flow ended, it writes the report to a file in a
//! directory the host app gives (its private data directory). The file is removed only when the
//! backend acknowledges the report; at the next start, pending reports are sent again. The report
//! id doubles as the `Idempotency-Key`, so a report sent twice (the app died after the backend
//! answered but before the file was removed) counts once: **exactly once at the backend**.
//!
//! Writes are atomic: a temporary file in the same directory, `fsync`, `rename`, then `fsync` of
//! the directory, so a crash leaves either the old state or the new one, never half a file. A
//! file that cannot be read back (disk corruption, a future format) is moved aside to
//! `*.corrupt` and reported, not silently dropped and not retried forever. Nothing secret is
//! written: a report holds ids, the sheet outcome and the backend's per-session report token,
//! never the client secret or a key.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::backend::CompletionReport;

const PREFIX: &str = "report-";
const SUFFIX: &str = ".json";

/// A storage failure. The app can do nothing but log it, so it maps to `Error::Other`.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("report id {0:?} cannot be a file name")]
    InvalidReportId(String),
}

impl From<OutboxError> for crate::error::Error {
    fn from(e: OutboxError) -> Self {
        crate::error::Error::Other {
            message: e.to_string(),
        }
    }
}

/// What [`Outbox::pending`] found.
#[derive(Debug, Default)]
pub struct PendingReports {
    pub reports: Vec<CompletionReport>,
    /// Files that could not be read and were moved aside.
    pub quarantined: Vec<PathBuf>,
}

/// The outbox: one JSON file per pending report.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutboxError + '_ {
    move |source| OutboxError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Outbox {
    /// Opens (and creates) the outbox in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, OutboxError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(Outbox { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_for(&self, report_id: &str) -> Result<PathBuf, OutboxError> {
        let safe = !report_id.is_empty()
            && report_id.len() <= 200
            && report_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !safe {
            return Err(OutboxError::InvalidReportId(report_id.to_owned()));
        }
        Ok(self.dir.join(format!("{PREFIX}{report_id}{SUFFIX}")))
    }

    /// Writes (or replaces) a report atomically and durably.
    pub fn put(&self, report: &CompletionReport) -> Result<(), OutboxError> {
        let path = self.path_for(&report.report_id)?;
        let tmp = self.dir.join(format!(
            ".{PREFIX}{}.{}.tmp",
            report.report_id,
            std::process::id()
        ));
        let bytes = serde_json::to_vec(report).unwrap_or_default();
        let result = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &path)?;
            sync_dir(&self.dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(io(&path))
    }

    /// The report with this id, if pending. An unreadable file is moved aside (as in
    /// [`pending`](Self::pending)) rather than reported absent and then overwritten.
    pub fn get(&self, report_id: &str) -> Result<Option<CompletionReport>, OutboxError> {
        let path = self.path_for(report_id)?;
        match fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(report) => Ok(Some(report)),
                Err(_) => {
                    quarantine(&path)?;
                    Ok(None)
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Removes an acknowledged report. Removing a missing report is fine.
    pub fn remove(&self, report_id: &str) -> Result<(), OutboxError> {
        let path = self.path_for(report_id)?;
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir).map_err(io(&path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Every pending report, oldest file name first; unreadable files are moved aside.
    pub fn pending(&self) -> Result<PendingReports, OutboxError> {
        let mut found = PendingReports::default();
        let entries = fs::read_dir(&self.dir).map_err(io(&self.dir))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
            })
            .collect();
        paths.sort();
        for path in paths {
            let parsed = fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<CompletionReport>(&b).ok());
            match parsed {
                Some(report) => found.reports.push(report),
                None => found.quarantined.push(quarantine(&path)?),
            }
        }
        Ok(found)
    }
}

/// Moves an unreadable report aside to `*.corrupt`: kept for inspection, never sent, never
/// overwritten.
fn quarantine(path: &Path) -> Result<PathBuf, OutboxError> {
    let aside = path.with_extension("corrupt");
    tracing::warn!(file = %path.display(), "unreadable outbox report moved aside");
    fs::rename(path, &aside).map_err(io(path))?;
    Ok(aside)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str) -> CompletionReport {
        CompletionReport {
            report_id: id.into(),
            flow_id: "flow_1".into(),
            session_id: "fcsess_1".into(),
            report_token: Some("rt_1".into()),
            sheet_outcome: "completed".into(),
            account_ids: vec!["fca_1".into()],
            error_code: None,
            return_url_status: Some("success".into()),
        }
    }

    #[test]
    fn put_get_pending_remove() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path().join("nested/outbox")).unwrap();
        outbox.put(&report("a-complete")).unwrap();
        outbox.put(&report("b-complete")).unwrap();
        outbox.put(&report("a-complete")).unwrap(); // replace, not duplicate
        assert_eq!(
            outbox.get("a-complete").unwrap(),
            Some(report("a-complete"))
        );
        let pending = outbox.pending().unwrap();
        assert_eq!(pending.reports.len(), 2);
        outbox.remove("a-complete").unwrap();
        outbox.remove("a-complete").unwrap();
        assert_eq!(
            outbox.pending().unwrap().reports,
            vec![report("b-complete")]
        );
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(outbox.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        Outbox::open(dir.path()).unwrap().put(&report("x")).unwrap();
        let again = Outbox::open(dir.path()).unwrap();
        assert_eq!(again.pending().unwrap().reports, vec![report("x")]);
    }

    #[test]
    fn corrupt_files_are_moved_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        fs::write(dir.path().join("report-bad.json"), b"{\"report_id\": tru").unwrap();
        outbox.put(&report("good")).unwrap();
        let pending = outbox.pending().unwrap();
        assert_eq!(pending.reports, vec![report("good")]);
        assert_eq!(pending.quarantined.len(), 1);
        assert!(pending.quarantined[0].exists());
    }

    #[test]
    fn hostile_report_ids_cannot_escape_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        for id in ["../x", "a/b", "", "a\0b", "..", &"x".repeat(300)] {
            assert!(
                matches!(
                    outbox.put(&report(id)),
                    Err(OutboxError::InvalidReportId(_))
                ),
                "{id:?}"
            );
        }
    }

    #[test]
    fn files_hold_no_client_secret() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        outbox.put(&report("r")).unwrap();
        let text = fs::read_to_string(dir.path().join("report-r.json")).unwrap();
        assert!(!text.contains("secret"), "{text}");
    }
}
