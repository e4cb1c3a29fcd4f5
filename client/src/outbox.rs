//! The durable outbox of completion reports.
//!
//! Before the core tells the backend that a flow ended, it writes the report to a file in the
//! app's private data directory (`<data_dir>/finconn-outbox/report-<report id>.json`). The file is
//! removed only when the backend acknowledges the report (or refuses it for good); at the next
//! start, pending reports are sent again. The report id doubles as the `Idempotency-Key`, so a
//! report sent twice (the app died after the backend answered but before the file was removed)
//! counts once: **exactly once at the backend**.
//!
//! Files are written through [`crate::store`]: atomic, durable, mode 0600. A file that cannot be
//! *read* (permission, EMFILE, EIO) stays pending and is tried again; only content that cannot be
//! *decoded* (or that breaks the report's shape rules) is moved aside, under a name that never
//! overwrites another, and counted once, by the scan that moved it. A file that disappears during
//! a scan (another process delivered it) is skipped. Anything that is not a regular file, and any
//! name that is not plain, is ignored: never opened, never followed, never counted. A scan makes
//! its quarantines durable with one directory `fsync`. Sending takes the report file's advisory
//! lock, so two clients or two processes on one directory never send the same report at the same
//! time.
//!
//! Nothing secret is written: a report holds ids, the sheet outcome and the backend's per-session
//! report token, never the client secret or a key.

use std::path::{Path, PathBuf};

use crate::backend::CompletionReport;
use crate::store::{Batch, FileLock, ReadOutcome, Store};

const PREFIX: &str = "report-";
const SUFFIX: &str = ".json";

/// A storage failure, or a report that cannot be stored (a bug). [`crate::errors`] turns it into
/// the public error.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the completion report cannot be stored: {0}")]
    InvalidReport(String),
}

/// What [`Outbox::pending`] found.
#[derive(Debug, Default)]
pub struct PendingReports {
    pub reports: Vec<CompletionReport>,
    /// Files whose content could not be decoded, moved aside by this scan (their names before;
    /// beyond the store's limit a pass removes them instead, see [`crate::store`]).
    pub quarantined: Vec<String>,
    /// Report files that could not be read (or moved aside) now; left in place for the next
    /// attempt.
    pub unreadable: Vec<String>,
}

/// What reading one report found.
#[derive(Debug)]
pub enum ReportRead {
    Found(CompletionReport),
    Missing,
    /// Left in place; try again later.
    Unreadable(std::io::Error),
    /// Moved aside, under this name (`None`: removed, the pass had moved enough aside).
    Quarantined(Option<String>),
}

/// The outbox: one JSON file per pending report.
#[derive(Debug, Clone)]
pub struct Outbox {
    store: Store,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutboxError + '_ {
    move |source| OutboxError::Io {
        path: path.to_owned(),
        source,
    }
}

fn file_name(report_id: &str) -> String {
    format!("{PREFIX}{report_id}{SUFFIX}")
}

impl Outbox {
    /// Opens (and creates) the outbox in `dir`, cleaning what interrupted writes left.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, OutboxError> {
        let dir = dir.into();
        let store = Store::open(&dir).map_err(io(&dir))?;
        Ok(Outbox { store })
    }

    pub fn dir(&self) -> &Path {
        self.store.dir()
    }

    /// Writes (or replaces) a report atomically and durably. The report must pass
    /// [`CompletionReport::check`]: its id becomes a file name.
    pub fn put(&self, report: &CompletionReport) -> Result<(), OutboxError> {
        report.check().map_err(OutboxError::InvalidReport)?;
        let name = file_name(&report.report_id);
        let bytes = serde_json::to_vec(report).unwrap_or_default();
        self.store
            .write_atomic(&name, &bytes)
            .map_err(io(&self.store.path(&name)))
    }

    /// The report with this id.
    pub fn read(&self, report_id: &str) -> ReportRead {
        let batch = self.store.batch();
        let read = self.read_in(report_id, &batch);
        if let Err(e) = batch.finish() {
            tracing::warn!(error = %e, "outbox directory sync failed");
        }
        read
    }

    /// The report with this id; a quarantine is made durable when `batch` ends.
    fn read_in(&self, report_id: &str, batch: &Batch<'_>) -> ReportRead {
        let name = file_name(report_id);
        match self.store.read(&name) {
            ReadOutcome::Missing => ReportRead::Missing,
            ReadOutcome::Unreadable(e) => ReportRead::Unreadable(e),
            ReadOutcome::Found(bytes) => {
                match serde_json::from_slice::<CompletionReport>(&bytes) {
                    Ok(r) if r.check().is_ok() && r.report_id == report_id => ReportRead::Found(r),
                    _ => match batch.quarantine(&name) {
                        Ok(aside) => ReportRead::Quarantined(aside),
                        // Vanished meanwhile (delivered by another process).
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ReportRead::Missing,
                        Err(e) => ReportRead::Unreadable(e),
                    },
                }
            }
        }
    }

    /// The report with this id, if pending and readable.
    pub fn get(&self, report_id: &str) -> Result<Option<CompletionReport>, OutboxError> {
        match self.read(report_id) {
            ReportRead::Found(r) => Ok(Some(r)),
            ReportRead::Missing | ReportRead::Quarantined(_) => Ok(None),
            ReportRead::Unreadable(e) => Err(io(&self.store.path(&file_name(report_id)))(e)),
        }
    }

    /// Whether a file for this report exists (readable or not; a regular file, never followed).
    pub fn contains(&self, report_id: &str) -> bool {
        self.store.exists(&file_name(report_id))
    }

    /// Removes an acknowledged report. Removing a missing report is fine.
    pub fn remove(&self, report_id: &str) -> Result<(), OutboxError> {
        let name = file_name(report_id);
        self.store
            .remove(&name)
            .map_err(io(&self.store.path(&name)))
    }

    /// The report's send lock: `None` when another client or process is sending it right now, or
    /// when it is gone (delivered meanwhile).
    pub fn lock(&self, report_id: &str) -> Result<Option<FileLock>, OutboxError> {
        let name = file_name(report_id);
        self.store
            .lock_existing(&name)
            .map_err(io(&self.store.path(&name)))
    }

    /// Every pending report, oldest file name first. Unreadable files stay (listed in
    /// `unreadable`), undecodable ones are moved aside (`quarantined`), vanished ones skipped;
    /// entries that are not regular files or have no plain name are ignored. One directory
    /// `fsync` for all the quarantines.
    pub fn pending(&self) -> Result<PendingReports, OutboxError> {
        let mut found = PendingReports::default();
        let names = self
            .store
            .list(PREFIX, SUFFIX)
            .map_err(io(self.store.dir()))?;
        let batch = self.store.batch();
        for name in names {
            let id = &name[PREFIX.len()..name.len() - SUFFIX.len()];
            match self.read_in(id, &batch) {
                ReportRead::Found(r) => found.reports.push(r),
                ReportRead::Missing => {}
                ReportRead::Unreadable(e) => {
                    tracing::warn!(file = %name, error = %e, "outbox report unreadable now; kept for the next attempt");
                    found.unreadable.push(name);
                }
                ReportRead::Quarantined(_) => found.quarantined.push(name),
            }
        }
        if let Err(e) = batch.finish() {
            tracing::warn!(error = %e, "outbox directory sync failed");
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn report(key: &str) -> CompletionReport {
        CompletionReport {
            report_id: CompletionReport::id_for(key),
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
        let (a, b) = (report("fcidem_a"), report("fcidem_b"));
        outbox.put(&a).unwrap();
        outbox.put(&b).unwrap();
        outbox.put(&a).unwrap(); // replace, not duplicate
        assert_eq!(outbox.get(&a.report_id).unwrap(), Some(a.clone()));
        assert_eq!(outbox.pending().unwrap().reports.len(), 2);
        outbox.remove(&a.report_id).unwrap();
        outbox.remove(&a.report_id).unwrap();
        assert_eq!(outbox.pending().unwrap().reports, vec![b]);
        let names: Vec<_> = fs::read_dir(outbox.dir()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "no temporary files left behind");
    }

    #[test]
    fn survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let r = report("fcidem_x");
        Outbox::open(dir.path()).unwrap().put(&r).unwrap();
        let again = Outbox::open(dir.path()).unwrap();
        assert_eq!(again.pending().unwrap().reports, vec![r]);
    }

    #[test]
    fn undecodable_files_are_moved_aside_without_overwriting() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        outbox.put(&report("fcidem_good")).unwrap();
        for _ in 0..2 {
            fs::write(
                dir.path().join("report-fcidem_bad-complete.json"),
                b"{\"report_id\": tru",
            )
            .unwrap();
            let pending = outbox.pending().unwrap();
            assert_eq!(pending.reports, vec![report("fcidem_good")]);
            assert_eq!(pending.quarantined.len(), 1);
        }
        let corrupt = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
            .count();
        assert_eq!(corrupt, 2, "the second quarantine kept the first");
    }

    #[test]
    fn unreadable_reports_stay_pending() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        let r = report("fcidem_io");
        outbox.put(&r).unwrap();
        // An I/O error on read (EIO through the store's seam; EACCES, EMFILE behave the same).
        let seam = crate::store::seam::watch(outbox.dir());
        seam.fail_reads(true);
        let pending = outbox.pending().unwrap();
        assert!(seam.injected() > 0, "the read really failed");
        assert!(pending.reports.is_empty());
        assert_eq!(pending.unreadable, ["report-fcidem_io-complete.json"]);
        assert!(pending.quarantined.is_empty());
        assert!(outbox.get(&r.report_id).is_err());
        seam.fail_reads(false);
        assert_eq!(outbox.pending().unwrap().reports, vec![r]);
    }

    #[test]
    fn what_is_not_a_regular_file_or_a_plain_name_is_ignored_not_counted() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        outbox.put(&report("fcidem_ok")).unwrap();
        fs::create_dir(dir.path().join("report-fcidem_dir-complete.json")).unwrap();
        fs::write(dir.path().join("report-fcidem_a b-complete.json"), b"{}").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            dir.path().join("report-fcidem_ok-complete.json"),
            dir.path().join("report-fcidem_link-complete.json"),
        )
        .unwrap();
        for _ in 0..2 {
            let pending = outbox.pending().unwrap();
            assert_eq!(pending.reports, vec![report("fcidem_ok")]);
            assert!(pending.unreadable.is_empty(), "{:?}", pending.unreadable);
            assert!(pending.quarantined.is_empty(), "{:?}", pending.quarantined);
        }
        assert!(!outbox.contains("fcidem_dir-complete"));
        assert!(!outbox.contains("fcidem_link-complete"));
    }

    #[test]
    fn forged_reports_are_refused_or_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        let mut r = report("fcidem_x");
        for id in ["../x", "a/b", "", "a\0b", ".."] {
            r.report_id = id.into();
            assert!(
                matches!(outbox.put(&r), Err(OutboxError::InvalidReport(_))),
                "{id:?}"
            );
        }
        let mut r = report("fcidem_y");
        r.session_id = "..".into();
        assert!(outbox.put(&r).is_err());
        // A file whose content names another report, or a path session id, is not sent.
        let forged = serde_json::json!({"report_id": "fcidem_z-complete", "flow_id": "flow_1", "session_id": "../../x", "sheet_outcome": "completed"});
        fs::write(
            dir.path().join("report-fcidem_z-complete.json"),
            forged.to_string(),
        )
        .unwrap();
        let pending = outbox.pending().unwrap();
        assert!(pending.reports.is_empty());
        assert_eq!(pending.quarantined.len(), 1);
    }

    #[test]
    fn files_hold_no_client_secret_and_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::open(dir.path()).unwrap();
        outbox.put(&report("fcidem_r")).unwrap();
        let path = dir.path().join("report-fcidem_r-complete.json");
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn a_report_being_sent_is_locked_for_everyone_else() {
        let dir = tempfile::tempdir().unwrap();
        let one = Outbox::open(dir.path()).unwrap();
        let two = Outbox::open(dir.path()).unwrap();
        let r = report("fcidem_l");
        one.put(&r).unwrap();
        let held = one.lock(&r.report_id).unwrap().expect("free");
        assert!(two.lock(&r.report_id).unwrap().is_none());
        one.remove(&r.report_id).unwrap();
        drop(held);
        assert!(
            two.lock(&r.report_id).unwrap().is_none(),
            "delivered meanwhile"
        );
    }
}
