//! Result reconciliation: one pure function that merges what the sheet reported, what the
//! return URL hinted and what the server says into the single final result of a flow.
//!
//! ## Rules, in order
//! 1. **The server wins.** The backend's (or Stripe's) session is the truth. The sheet's session is
//!    used only when the server could not be asked (warning [`ResultWarning::ServerUnavailable`]);
//!    a return URL never decides anything, it only adds a warning when it disagrees.
//! 2. **A session that is not ours is ignored** (warning [`ResultWarning::SessionIdMismatch`]).
//! 3. **Accounts** are the session's accounts plus its `payment_account` when that is a
//!    Financial Connections account, deduplicated by id, first occurrence kept.
//! 4. **Something linked ⇒ completed.** Accounts, a payment account or a bank account token mean the
//!    user linked something, whatever the sheet said: a "cancel" or a "failed" sheet with linked
//!    accounts is completed, with a warning.
//! 5. **Nothing linked ⇒ the user left early**: canceled, unless the sheet failed (failed, with its
//!    error) or the server marked the session `failed`.
//! 6. **Relink** (the session has `relink_options`, or the app asked for a relink): the same
//!    authorization back ⇒ relinked; another authorization ⇒ a new authorization, with the accounts
//!    to reconcile against the ones the app already had; a `failure_reason` ⇒ failed with it; no
//!    `relink_result` ⇒ unfinished.
//! 7. **Duplicates**: a completed flow's new account that matches an active account the user
//!    already had (same institution, last4 and subcategory) is listed in `duplicates` with the id
//!    it duplicates, so the app can keep one.
//! 8. **No evidence at all** (no server session, no sheet session) ⇒ failed with
//!    [`ResultWarning::ServerUnavailable`]: the caller should retry asking the server rather than
//!    show this to a user.

use serde::{Deserialize, Serialize};

use crate::model::{Account, PaymentAccount, RelinkFailureReason, Session, SessionStatus};
use crate::options::RelinkRequest;
use crate::return_url::{RedirectStatus, ReturnUrlHints};

/// What Stripe's `FinancialConnectionsSheet` reported to the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SheetOutcome {
    /// `.completed(session)` / `FinancialConnectionsSheetResult.Completed`. The session is optional
    /// because hosts may forward only the fact of completion.
    Completed {
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::model::from_json_text"
        )]
        session: Option<Box<Session>>,
    },
    /// `.canceled` / `Canceled`.
    Canceled,
    /// `.failed(error)` / `Failed(error)`: the SDK's error code or message.
    Failed { error: String },
    /// The sheet never answered: the app was killed while it was up.
    NoResult,
}

impl SheetOutcome {
    /// A short, stable name (`completed`, `canceled`, `failed`, `no_result`).
    pub fn as_str(&self) -> &'static str {
        match self {
            SheetOutcome::Completed { .. } => "completed",
            SheetOutcome::Canceled => "canceled",
            SheetOutcome::Failed { .. } => "failed",
            SheetOutcome::NoResult => "no_result",
        }
    }
}

/// Final status of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum FlowStatus {
    /// Accounts were linked (or relinked): they are in the result's `accounts`.
    Completed,
    /// Nothing was linked: the user left before the end, or the app canceled the flow.
    Canceled,
    /// Nothing was linked and something failed: the sheet, the session at Stripe
    /// (`session_failed`), or no server could confirm the sheet's result (`result_unavailable`).
    /// The result's `error` says which.
    Failed,
}

impl FlowStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            FlowStatus::Completed => "completed",
            FlowStatus::Canceled => "canceled",
            FlowStatus::Failed => "failed",
        }
    }
}

/// Where the final answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ResultSource {
    /// The backend's `complete` answer or Stripe's session receipt.
    Server,
    /// Only the sheet's own session: not confirmed by a server.
    Sheet,
    /// Nothing but the sheet's outcome.
    None,
}

/// What happened to a relink request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RelinkOutcome {
    /// The requested authorization was repaired. `missing_account_ids` are accounts the app had
    /// that the session did not return (they may still be inactive).
    Relinked {
        authorization: String,
        account: Option<String>,
        missing_account_ids: Vec<String>,
    },
    /// The user authenticated but Stripe created a new authorization: `new_account_ids` are to be
    /// added, `missing_account_ids` are the app's accounts not covered by it.
    NewAuthorization {
        authorization: String,
        new_account_ids: Vec<String>,
        missing_account_ids: Vec<String>,
    },
    /// Stripe reported a failure (`no_account`, `no_authorization`, `other`, or a newer value).
    Failed { reason: RelinkFailureReason },
    /// A relink was requested but the session carries no `relink_result`: the user left first.
    Unfinished,
}

impl RelinkOutcome {
    /// `relinked`, `new_authorization`, `failed`, `unfinished`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RelinkOutcome::Relinked { .. } => "relinked",
            RelinkOutcome::NewAuthorization { .. } => "new_authorization",
            RelinkOutcome::Failed { .. } => "failed",
            RelinkOutcome::Unfinished => "unfinished",
        }
    }
}

/// Something the app may want to know about how the result was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi::export(Debug))]
pub enum ResultWarning {
    /// The server could not be asked; the result rests on the sheet alone.
    ServerUnavailable,
    /// A session with another id than the flow's was ignored.
    SessionIdMismatch {
        /// The flow's own session id.
        expected: String,
        /// The id of the session that was ignored.
        received: String,
    },
    /// The sheet reported a failure although accounts were linked.
    SheetFailedButAccountsLinked {
        /// What the sheet reported.
        sheet_error: String,
    },
    /// The sheet reported a cancel although accounts were linked.
    SheetCanceledButAccountsLinked,
    /// The return URL's status hint disagrees with the final status.
    ReturnUrlDisagrees {
        /// The status the return URL claimed (`success`, `cancel`, …).
        url_status: String,
        /// The status the server's session decided.
        final_status: FlowStatus,
    },
    /// The same account appeared more than once and was kept once.
    DuplicateAccountsRemoved {
        /// How many repeated entries were dropped.
        count: i32,
    },
    /// The session said more accounts exist than it listed (`has_more`).
    MoreAccountsNotListed,
}

/// The one final result of a flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowResult {
    pub status: FlowStatus,
    pub session_id: Option<String>,
    pub accounts: Vec<Account>,
    pub relink: Option<RelinkOutcome>,
    /// The sheet's error (failed flows) or the server's failure marker.
    pub error: Option<String>,
    pub source: ResultSource,
    pub warnings: Vec<ResultWarning>,
    /// Newly linked accounts that duplicate an active account the user already has (same
    /// institution, last4 and subcategory): keep one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<crate::data::DuplicateAccount>,
}

/// Everything reconciliation looks at. Borrowed, so callers keep ownership.
#[derive(Debug, Clone, Copy)]
pub struct ReconcileInput<'a> {
    pub sheet: &'a SheetOutcome,
    pub url_hints: Option<&'a ReturnUrlHints>,
    /// The server's session (backend `complete` answer, or Stripe's receipt).
    pub server_session: Option<&'a Session>,
    /// The session id the flow created; sessions with another id are ignored.
    pub expected_session_id: Option<&'a str>,
    /// The relink the app asked for, if any.
    pub relink_request: Option<&'a RelinkRequest>,
    /// Ids of the accounts the app already had (for relink reconciliation).
    pub known_account_ids: &'a [String],
    /// The user's accounts before this flow, as the backend lists them (for duplicates).
    pub existing_accounts: &'a [Account],
}

impl<'a> ReconcileInput<'a> {
    /// An input with only the sheet outcome; set the other fields as needed.
    pub fn new(sheet: &'a SheetOutcome) -> Self {
        ReconcileInput {
            sheet,
            url_hints: None,
            server_session: None,
            expected_session_id: None,
            relink_request: None,
            known_account_ids: &[],
            existing_accounts: &[],
        }
    }
}

/// Merges the inputs into one final result. Pure and total: never fails, never panics.
pub fn reconcile(input: ReconcileInput<'_>) -> FlowResult {
    let mut warnings = Vec::new();
    let ours = |s: &&Session| {
        input
            .expected_session_id
            .is_none_or(|expected| s.id == expected)
    };
    let note_mismatch = |s: &Session, warnings: &mut Vec<ResultWarning>| {
        if let Some(expected) = input.expected_session_id {
            if s.id != expected {
                warnings.push(ResultWarning::SessionIdMismatch {
                    expected: expected.to_owned(),
                    received: s.id.clone(),
                });
            }
        }
    };

    let sheet_session = match input.sheet {
        SheetOutcome::Completed { session: Some(s) } => Some(s.as_ref()),
        _ => None,
    };
    if let Some(s) = input.server_session {
        note_mismatch(s, &mut warnings);
    }
    let (authority, source) = match input.server_session.filter(ours) {
        Some(s) => (Some(s), ResultSource::Server),
        None => {
            if input.server_session.is_none() {
                warnings.push(ResultWarning::ServerUnavailable);
            }
            if let Some(s) = sheet_session {
                note_mismatch(s, &mut warnings);
            }
            match sheet_session.filter(ours) {
                Some(s) => (Some(s), ResultSource::Sheet),
                None => (None, ResultSource::None),
            }
        }
    };

    let Some(session) = authority else {
        let (status, error) = match input.sheet {
            SheetOutcome::Canceled => (FlowStatus::Canceled, None),
            SheetOutcome::Failed { error } => (FlowStatus::Failed, Some(error.clone())),
            SheetOutcome::Completed { .. } | SheetOutcome::NoResult => {
                (FlowStatus::Failed, Some("result_unavailable".to_owned()))
            }
        };
        let relink =
            relink_requested(None, input.relink_request).then_some(RelinkOutcome::Unfinished);
        let mut result = FlowResult {
            status,
            session_id: input.expected_session_id.map(str::to_owned),
            accounts: Vec::new(),
            relink,
            error,
            source,
            warnings,
            duplicates: Vec::new(),
        };
        add_url_disagreement(&mut result, input.url_hints);
        return result;
    };

    let (accounts, duplicates) = collect_accounts(session);
    if duplicates > 0 {
        warnings.push(ResultWarning::DuplicateAccountsRemoved {
            count: i32::try_from(duplicates).unwrap_or(i32::MAX),
        });
    }
    if session.accounts.has_more {
        warnings.push(ResultWarning::MoreAccountsNotListed);
    }
    let linked = !accounts.is_empty()
        || session.payment_account.is_some()
        || session.bank_account_token.is_some();

    let (status, error) = if linked {
        match input.sheet {
            SheetOutcome::Failed { error } => {
                warnings.push(ResultWarning::SheetFailedButAccountsLinked {
                    sheet_error: error.clone(),
                })
            }
            SheetOutcome::Canceled => warnings.push(ResultWarning::SheetCanceledButAccountsLinked),
            SheetOutcome::Completed { .. } | SheetOutcome::NoResult => {}
        }
        (FlowStatus::Completed, None)
    } else {
        match (input.sheet, session.status.as_ref()) {
            (SheetOutcome::Failed { error }, _) => (FlowStatus::Failed, Some(error.clone())),
            (_, Some(SessionStatus::Failed)) => {
                (FlowStatus::Failed, Some("session_failed".to_owned()))
            }
            _ => (FlowStatus::Canceled, None),
        }
    };

    let relink = relink_outcome(
        session,
        input.relink_request,
        &accounts,
        input.known_account_ids,
    );
    let duplicate_accounts = if status == FlowStatus::Completed {
        crate::data::find_duplicates(&accounts, input.existing_accounts)
    } else {
        Vec::new()
    };
    let mut result = FlowResult {
        status,
        session_id: Some(session.id.clone()),
        accounts,
        relink,
        error,
        source,
        warnings,
        duplicates: duplicate_accounts,
    };
    add_url_disagreement(&mut result, input.url_hints);
    result
}

/// The session's accounts plus its payment account (when it is a Financial Connections account),
/// deduplicated by id. Returns the accounts and how many duplicates were dropped.
fn collect_accounts(session: &Session) -> (Vec<Account>, u32) {
    let payment = match &session.payment_account {
        Some(PaymentAccount::Account(a)) => Some(a.as_ref()),
        _ => None,
    };
    let mut out: Vec<Account> = Vec::with_capacity(session.accounts.data.len() + 1);
    let mut duplicates = 0u32;
    for account in session.accounts.data.iter().chain(payment) {
        if out.iter().any(|a| a.id == account.id) {
            duplicates += 1;
        } else {
            out.push(account.clone());
        }
    }
    // The payment account is not a duplicate of itself when also listed: don't count it.
    if let Some(p) = payment {
        if session.accounts.data.iter().any(|a| a.id == p.id) {
            duplicates -= 1;
        }
    }
    (out, duplicates)
}

fn relink_requested(session: Option<&Session>, request: Option<&RelinkRequest>) -> bool {
    request.is_some()
        || session.is_some_and(|s| s.relink_options.is_some() || s.relink_result.is_some())
}

fn relink_outcome(
    session: &Session,
    request: Option<&RelinkRequest>,
    accounts: &[Account],
    known_account_ids: &[String],
) -> Option<RelinkOutcome> {
    if !relink_requested(Some(session), request) {
        return None;
    }
    let Some(result) = &session.relink_result else {
        return Some(RelinkOutcome::Unfinished);
    };
    let requested_authorization = session
        .relink_options
        .as_ref()
        .map(|o| o.authorization.as_str())
        .or(request.map(|r| r.authorization.as_str()));
    let returned: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    let missing = || {
        known_account_ids
            .iter()
            .filter(|id| !returned.contains(&id.as_str()))
            .cloned()
            .collect::<Vec<_>>()
    };
    match (&result.authorization, &result.failure_reason) {
        (Some(authorization), _) if Some(authorization.as_str()) == requested_authorization => {
            Some(RelinkOutcome::Relinked {
                authorization: authorization.clone(),
                account: result.account.clone(),
                missing_account_ids: missing(),
            })
        }
        (Some(authorization), _) => Some(RelinkOutcome::NewAuthorization {
            authorization: authorization.clone(),
            new_account_ids: returned
                .iter()
                .filter(|id| !known_account_ids.iter().any(|k| k == *id))
                .map(|id| (*id).to_owned())
                .collect(),
            missing_account_ids: missing(),
        }),
        (None, Some(reason)) => Some(RelinkOutcome::Failed {
            reason: reason.clone(),
        }),
        (None, None) => Some(RelinkOutcome::Unfinished),
    }
}

fn add_url_disagreement(result: &mut FlowResult, hints: Option<&ReturnUrlHints>) {
    let Some(url_status) = hints.and_then(|h| h.status.as_ref()) else {
        return;
    };
    let implied = match url_status {
        RedirectStatus::Success => FlowStatus::Completed,
        RedirectStatus::Cancel => FlowStatus::Canceled,
        RedirectStatus::Failure => FlowStatus::Failed,
        // An authentication return says nothing about the outcome.
        _ => return,
    };
    if implied != result.status {
        result.warnings.push(ResultWarning::ReturnUrlDisagrees {
            url_status: url_status.as_str().to_owned(),
            final_status: result.status,
        });
    }
}

/// Accounts that need the user's attention.
#[derive(Debug, Clone, PartialEq)]
pub struct RelinkNeeds<'a> {
    /// Inactive with `status_details.inactive.action = relink_required`: relink now.
    pub now: Vec<&'a Account>,
    /// Active but with a deactivation date: relink before it.
    pub soon: Vec<(&'a Account, i64)>,
}

/// Splits accounts into those to relink now and those to relink before a date (soonest first).
pub fn relink_needs(accounts: &[Account]) -> RelinkNeeds<'_> {
    let now = accounts.iter().filter(|a| a.needs_relink_now()).collect();
    let mut soon: Vec<(&Account, i64)> = accounts
        .iter()
        .filter(|a| !a.needs_relink_now())
        .filter_map(|a| a.relink_required_soon().map(|d| (a, d)))
        .collect();
    soon.sort_by_key(|(_, date)| *date);
    RelinkNeeds { now, soon }
}

#[cfg(test)]
mod tests;
