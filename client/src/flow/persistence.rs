//! The flow's files in `finconn-flows/`: the flow store (each flow's snapshot and lock), the write
//! of every change (a phase change whose write fails is undone), the settling of a flow's files
//! once its report is settled, and the reading of a snapshot back.

use super::client::{lock, ClientInner};
use super::ops::{Flow, FlowInner, FlowShared};
use crate::store::{Batch, FileLock, ReadOutcome, Store};
use finconn_core::error::FinConnError;
use finconn_core::events::FlowEvent;
use finconn_core::reconcile::FlowStatus;
use finconn_core::state::{FlowMachine, FlowPhase, PhaseChange};

/// The persisted flows: `flow-<id>.json` snapshots and their `flow-<id>.lock` files.
#[derive(Debug, Clone)]
pub(super) struct FlowStore {
    pub(super) store: Store,
}

impl FlowStore {
    pub(super) fn snapshot_name(flow_id: &str) -> String {
        format!("flow-{flow_id}.json")
    }
    pub(super) fn lock_name(flow_id: &str) -> String {
        format!("flow-{flow_id}.lock")
    }
    pub(super) fn lock(&self, flow_id: &str) -> std::io::Result<Option<FileLock>> {
        self.store.lock_file(&Self::lock_name(flow_id))
    }
    fn save(&self, machine: &FlowMachine) -> std::io::Result<()> {
        self.store.write_atomic(
            &Self::snapshot_name(machine.flow_id()),
            machine.snapshot().as_bytes(),
        )
    }
    /// Removes a settled flow's files; call with its lock held. The snapshot's removal is what
    /// counts (its error is returned); a lock file left behind goes at the next launch.
    fn remove(&self, flow_id: &str) -> std::io::Result<()> {
        let batch = self.store.batch();
        self.remove_in(&batch, flow_id)?;
        batch.finish()
    }
    /// [`remove`](Self::remove) within a pass (one directory sync at its end).
    pub(super) fn remove_in(&self, batch: &Batch<'_>, flow_id: &str) -> std::io::Result<()> {
        batch.remove(&Self::snapshot_name(flow_id))?;
        if let Err(e) = batch.remove(&Self::lock_name(flow_id)) {
            tracing::warn!(flow_id, error = %e, "a settled flow's lock file could not be removed");
        }
        Ok(())
    }
    pub(super) fn ids(&self) -> std::io::Result<Vec<String>> {
        Ok(self
            .store
            .list("flow-", ".json")?
            .into_iter()
            .map(|n| n["flow-".len()..n.len() - ".json".len()].to_owned())
            .collect())
    }
    /// Lock files whose snapshot is gone and that nobody holds (one directory sync for all).
    pub(super) fn remove_orphan_locks(&self) {
        let Ok(names) = self.store.list("flow-", ".lock") else {
            return;
        };
        let batch = self.store.batch();
        for name in names {
            let id = &name["flow-".len()..name.len() - ".lock".len()];
            if !self.store.exists(&Self::snapshot_name(id)) {
                if let Ok(Some(_held)) = self.store.lock_file(&name) {
                    let _ = batch.remove(&name);
                }
            }
        }
        if let Err(e) = batch.finish() {
            tracing::warn!(error = %e, "flow store directory sync failed");
        }
    }
}

/// A report of `flow_id` was settled: the flow's files go if the flow has ended.
pub(super) fn settle_flow_files(inner: &ClientInner, flow_id: &str) {
    if let Some(shared) = inner.live_flow(flow_id) {
        let mut state = lock(&shared.state);
        state.machine.mark_report_settled();
        if let Err(e) = shared.persist(&mut state) {
            tracing::warn!(flow_id, error = %e, "settled report not saved; kept in memory, written with the next write");
        }
        return;
    }
    let store = &inner.flows;
    let Ok(Some(_held)) = store.lock(flow_id) else {
        return;
    };
    if let ReadOutcome::Found(bytes) = store.store.read(&FlowStore::snapshot_name(flow_id)) {
        if let Ok(mut m) = FlowMachine::restore(&String::from_utf8_lossy(&bytes)) {
            m.mark_report_settled();
            // On failure the snapshot on disk still owes the report: a relaunch sends it again
            // (same report id: the backend counts it once).
            let written = if m.is_settled() {
                store.remove(flow_id)
            } else {
                store.save(&m)
            };
            if let Err(e) = written {
                tracing::warn!(error = %e, "flow snapshot could not be updated");
            }
        }
    }
}

/// A snapshot read from the flow store: the flow, or why it is unusable (corrupt, forged, or
/// another flow's).
pub(super) fn restore_found(bytes: &[u8], flow_id: &str) -> Result<FlowMachine, String> {
    std::str::from_utf8(bytes)
        .map_err(|_| "not UTF-8".to_owned())
        .and_then(|s| FlowMachine::restore(s).map_err(|e| e.to_string()))
        .and_then(|m| {
            if m.flow_id() == flow_id {
                Ok(m)
            } else {
                Err("the snapshot names another flow".to_owned())
            }
        })
}

impl FlowShared {
    /// Writes the snapshot (taking the flow's lock first), or removes the files once settled.
    /// On failure the previous snapshot, if any, is still on disk, unchanged.
    fn persist(&self, state: &mut FlowInner) -> Result<(), FinConnError> {
        let store = &self.client.flows;
        let id = state.machine.flow_id().to_owned();
        if state.machine.phase() == FlowPhase::Idle {
            return Ok(()); // nothing happened yet that a relaunch would need
        }
        if state.lock.is_none() {
            if state.machine.is_settled() {
                // Never written (the lock comes with the first write): nothing to remove.
                return Ok(());
            }
            match store.lock(&id) {
                Ok(Some(l)) => state.lock = Some(l),
                Ok(None) => {
                    tracing::error!(flow_id = %id, "flow lock held elsewhere; not persisting");
                    return Err(FinConnError::invalid_state(
                        "another client or process is driving this flow",
                    ));
                }
                Err(e) => {
                    tracing::error!(flow_id = %id, error = %e, "flow lock unavailable; not persisting");
                    return Err(FinConnError::storage(
                        "the flow's progress could not be saved",
                        &e,
                    ));
                }
            }
        }
        let written = if state.machine.is_settled() {
            store.remove(&id)
        } else {
            store.save(&state.machine)
        };
        written.map_err(|e| {
            tracing::error!(flow_id = %id, error = %e, "flow snapshot could not be written");
            FinConnError::storage("the flow's progress could not be saved", &e)
        })
    }
}

impl Flow {
    /// Runs one transition, persists it, logs it and tells the listeners.
    pub(super) fn transition<R>(
        &self,
        f: impl FnOnce(
            &mut FlowMachine,
        ) -> Result<(PhaseChange, R), finconn_core::state::TransitionError>,
    ) -> Result<R, FinConnError> {
        let (change, flow_id, out) = {
            let mut state = lock(&self.shared.state);
            let before = state.machine.clone();
            let (change, out) = f(&mut state.machine)?;
            if let Err(e) = self.shared.persist(&mut state) {
                let flow_id = state.machine.flow_id().to_owned();
                if change.from != change.to {
                    // Undone: memory agrees with the snapshot on disk again; the call can be
                    // made again (see "When a write fails" in the flow module's doc).
                    state.machine = before;
                    tracing::warn!(flow_id = %flow_id, from = %change.from, to = %change.to, error = %e, "phase change not saved; undone");
                    return Err(e);
                }
                tracing::warn!(flow_id = %flow_id, phase = %change.to, error = %e, "change within the phase not saved; kept in memory, written with the next write");
            }
            (change, state.machine.flow_id().to_owned(), out)
        };
        if change.from != change.to {
            tracing::info!(flow_id = %flow_id, from = %change.from, to = %change.to, "flow phase changed");
            self.client().emit(FlowEvent::PhaseChanged {
                flow_id: flow_id.clone(),
                from: change.from,
                to: change.to,
            });
        }
        if change.to.is_terminal() && change.from != change.to {
            let status = match change.to {
                FlowPhase::Completed => FlowStatus::Completed,
                FlowPhase::Canceled => FlowStatus::Canceled,
                _ => FlowStatus::Failed,
            };
            self.client().emit(FlowEvent::Finished { flow_id, status });
        }
        Ok(out)
    }

    /// Changes the machine without a phase change, and persists it. A failed write keeps the
    /// change in memory; the next successful write includes it.
    pub(super) fn update(&self, f: impl FnOnce(&mut FlowMachine)) {
        let mut state = lock(&self.shared.state);
        f(&mut state.machine);
        if let Err(e) = self.shared.persist(&mut state) {
            tracing::warn!(flow_id = %state.machine.flow_id(), error = %e, "flow change not saved; kept in memory, written with the next write");
        }
    }
}
