//! The simulated Financial Connections sheet: what a user does in Stripe's UI for each test
//! [`Institution`] — linking accounts to the session in the in-memory Stripe, setting its status
//! and `relink_result` — and what the native sheet hands the app afterwards ([`SheetCompletion`]:
//! outcome, session without its client secret, the redirect deep links).

use serde_json::{json, Value};

use crate::institution::{AccountTemplate, Institution, TemplateState};
use crate::stripe::data;
use crate::stripe::memory::{Inner, State};
use crate::stripe::objects::{
    AccountRec, AccountState, AuthorizationRec, RefreshRec, RelinkResult, SessionRec, SessionStatus,
};
use crate::stripe::InMemoryStripe;

/// The Android application id used in `stripe-auth://` redirects unless configured.
pub const DEFAULT_ANDROID_APP_ID: &str = "com.example.finconn";

/// What the native sheet reports to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SheetOutcome {
    Completed,
    Canceled,
    Failed,
}

impl SheetOutcome {
    /// `completed`, `canceled`, `failed` (the contract's `sheet_outcome` values).
    pub fn as_str(self) -> &'static str {
        match self {
            SheetOutcome::Completed => "completed",
            SheetOutcome::Canceled => "canceled",
            SheetOutcome::Failed => "failed",
        }
    }
}

/// The result of [`InMemoryStripe::complete_sheet`] / `Simulator::complete_sheet`.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetCompletion {
    pub institution: Institution,
    pub outcome: SheetOutcome,
    /// Set when `outcome` is `Failed`: `institution_unavailable_unplanned`, `unexpected_error`,
    /// `accounts_unavailable`, `session_expired`.
    pub error_code: Option<String>,
    pub session_id: String,
    /// The session as the SDK returns it after paging all accounts: Stripe-shaped, **without**
    /// `client_secret`.
    pub session: Value,
    /// Ids of the accounts linked (or relinked) through this session, in order.
    pub account_ids: Vec<String>,
    /// `success`, `cancel` or `failure` when the bank redirected back to the app.
    pub redirect_status: Option<String>,
    /// `<return_url>?status=…&session_id=…` (plus `error_reason` on failure), when the session
    /// has a `return_url` and the user reached the bank.
    pub redirect_url: Option<String>,
    /// Stripe Android's redirect: `stripe-auth://link-accounts/<appId>/success|cancel`, or
    /// `stripe://auth-redirect/<appId>?status=failure&error_reason=…`.
    pub android_redirect_url: Option<String>,
}

impl SheetCompletion {
    /// The completion report the contract's `…/complete` call carries, as an app would send it
    /// (never with the client secret).
    pub fn report(&self, report_id: &str, report_token: Option<&str>, flow_id: &str) -> Value {
        json!({
            "report_id": report_id,
            "report_token": report_token,
            "flow_id": flow_id,
            "sheet_outcome": self.outcome.as_str(),
            "account_ids": self.account_ids,
            "error_code": self.error_code,
            "return_url_status": self.redirect_status,
        })
    }
}

/// Why the sheet could not be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("no session with this id or client secret in the simulated Stripe")]
    UnknownSession,
    #[error("institution `{0}` needs a session created with relink options")]
    NotARelinkSession(Institution),
}

#[derive(Clone, Copy)]
enum Redirect {
    Success,
    Cancel,
    Failure(&'static str),
}

struct Plan {
    outcome: SheetOutcome,
    error_code: Option<&'static str>,
    redirect: Option<Redirect>,
    status: SessionStatus,
}

impl Plan {
    fn completed() -> Plan {
        Plan {
            outcome: SheetOutcome::Completed,
            error_code: None,
            redirect: Some(Redirect::Success),
            status: SessionStatus::Succeeded,
        }
    }

    fn canceled(redirect: Option<Redirect>) -> Plan {
        Plan {
            outcome: SheetOutcome::Canceled,
            error_code: None,
            redirect,
            status: SessionStatus::Cancelled,
        }
    }

    fn failed(code: &'static str, redirect: Option<Redirect>) -> Plan {
        Plan {
            outcome: SheetOutcome::Failed,
            error_code: Some(code),
            redirect,
            status: SessionStatus::Failed,
        }
    }
}

impl InMemoryStripe {
    /// Runs the sheet for a session (by id or client secret) as a user picking `institution`,
    /// with Android redirects for [`DEFAULT_ANDROID_APP_ID`].
    pub fn complete_sheet(
        &self,
        session_id_or_client_secret: &str,
        institution: Institution,
    ) -> Result<SheetCompletion, SheetError> {
        self.complete_sheet_for_app(
            session_id_or_client_secret,
            institution,
            DEFAULT_ANDROID_APP_ID,
        )
    }

    /// [`complete_sheet`](Self::complete_sheet) with the Android application id of the redirects.
    pub fn complete_sheet_for_app(
        &self,
        session_id_or_client_secret: &str,
        institution: Institution,
        android_app_id: &str,
    ) -> Result<SheetCompletion, SheetError> {
        let inner = &*self.inner;
        let mut guard = self.state();
        let st = &mut *guard;
        let id = st
            .session_id_for(session_id_or_client_secret)
            .ok_or(SheetError::UnknownSession)?;
        let session = st
            .sessions
            .get(&id)
            .cloned()
            .ok_or(SheetError::UnknownSession)?;
        if institution.is_relink() && session.relink_options.is_none() {
            return Err(SheetError::NotARelinkSession(institution));
        }
        let plan = if session.status != SessionStatus::Pending {
            // A session's sheet runs once; reopening it shows Stripe's expired-session error.
            Plan {
                redirect: None,
                status: session.status,
                ..Plan::failed("session_expired", None)
            }
        } else {
            run(inner, st, &session, institution)
        };
        let s = st.sessions.get_mut(&id).ok_or(SheetError::UnknownSession)?;
        s.status = plan.status;
        let s = s.clone();
        let accounts = st.session_accounts(&s);
        Ok(SheetCompletion {
            institution,
            outcome: plan.outcome,
            error_code: plan.error_code.map(str::to_string),
            session_id: s.id.clone(),
            session: s.to_json(accounts, false, false),
            account_ids: s.account_ids.clone(),
            redirect_status: plan.redirect.map(|r| {
                match r {
                    Redirect::Success => "success",
                    Redirect::Cancel => "cancel",
                    Redirect::Failure(_) => "failure",
                }
                .to_string()
            }),
            redirect_url: plan
                .redirect
                .and_then(|r| s.return_url.as_deref().map(|u| ios_redirect(u, &s.id, r))),
            android_redirect_url: plan.redirect.map(|r| android_redirect(android_app_id, r)),
        })
    }
}

fn ios_redirect(return_url: &str, session_id: &str, r: Redirect) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    match r {
        Redirect::Success => pairs.push(("status", "success")),
        Redirect::Cancel => pairs.push(("status", "cancel")),
        Redirect::Failure(reason) => {
            pairs.push(("status", "failure"));
            pairs.push(("error_reason", reason));
        }
    }
    pairs.push(("session_id", session_id));
    let extra = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let (base, fragment) = match return_url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (return_url, None),
    };
    let sep = if base.contains('?') {
        if base.ends_with('?') || base.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    let mut out = format!("{base}{sep}{extra}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn android_redirect(app_id: &str, r: Redirect) -> String {
    match r {
        Redirect::Success => format!("stripe-auth://link-accounts/{app_id}/success"),
        Redirect::Cancel => format!("stripe-auth://link-accounts/{app_id}/cancel"),
        Redirect::Failure(reason) => {
            format!("stripe://auth-redirect/{app_id}?status=failure&error_reason={reason}")
        }
    }
}

fn allowed(session: &SessionRec, subcategory: &str) -> bool {
    session
        .account_subcategories
        .as_ref()
        .is_none_or(|subs| subs.iter().any(|s| s == subcategory))
}

/// The same real account (holder, bank, account template) has the same `last4` however often it
/// is linked: linking a bank twice gives new `fca_…` ids with the old last4s, as with Stripe.
fn last4_of(session: &SessionRec, institution_name: &str, t: &AccountTemplate) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{:?}", session.account_holder).hash(&mut h);
    institution_name.hash(&mut h);
    t.display_name.hash(&mut h);
    t.subcategory.hash(&mut h);
    format!("{:04}", h.finish() % 10_000)
}

/// Creates one account from `t` under `authorization` (the id is fresh unless given).
fn new_account(
    inner: &Inner,
    st: &mut State,
    session: &SessionRec,
    t: &AccountTemplate,
    authorization: &str,
    institution_name: &str,
    id: Option<String>,
) -> String {
    let now = inner.clock.now();
    let id = id.unwrap_or_else(|| inner.ids.id("fca"));
    let last4 = last4_of(session, institution_name, t);
    let amount = inner.ids.range(t.balance.0, t.balance.1);
    let permissions = t.data.granted(&session.permissions);
    // A prefetch needs the permission of its data.
    let has = |prefetch: &str, permission: &str| {
        session.prefetch.iter().any(|x| x == prefetch)
            && permissions.iter().any(|p| p == permission)
    };
    let prefetched = || RefreshRec::succeeded(now, now + 3600);
    let ownership = has("ownership", "ownership").then(|| inner.ids.id("fcaowns"));
    let transactions =
        has("transactions", "transactions").then(|| (inner.ids.id("fctxnref"), prefetched()));
    let balance = has("balances", "balances");
    let state = match t.state {
        TemplateState::Active => AccountState::Active,
        TemplateState::ActiveExpiring => AccountState::ActiveExpiring {
            expected_deactivation_date: now + 14 * 24 * 3600,
        },
        TemplateState::InactiveRelinkRequired => AccountState::Inactive {
            cause: "access_expired".into(),
        },
    };
    let rec = AccountRec {
        id: id.clone(),
        created: now,
        livemode: session.livemode,
        account_holder: session.account_holder.clone(),
        authorization: authorization.to_string(),
        institution_name: institution_name.to_string(),
        display_name: t.display_name.to_string(),
        category: t.category.to_string(),
        subcategory: t.subcategory.to_string(),
        last4,
        permissions,
        bank_balance: amount,
        balance: balance.then_some((amount, now)),
        balance_refresh: balance.then(prefetched),
        ownership_refresh: ownership.is_some().then(prefetched),
        ownership,
        transaction_refresh: transactions,
        subscriptions: Vec::new(),
        data: t.data,
        state,
    };
    if !st.accounts.contains_key(&id) {
        st.account_order.push(id.clone());
    }
    let (owners, history) = (rec.ownership.is_some(), rec.transaction_refresh.is_some());
    st.accounts.insert(id.clone(), rec);
    st.data.remove(&id);
    if owners {
        data::read_ownership(inner, st, &id);
    }
    if history {
        data::read_transactions(inner, st, &id);
    }
    id
}

fn new_authorization(
    inner: &Inner,
    st: &mut State,
    session: &SessionRec,
    id: Option<String>,
    institution_name: &str,
) -> String {
    let id = id.unwrap_or_else(|| inner.ids.id("fcauth"));
    st.authorizations.insert(
        id.clone(),
        AuthorizationRec {
            id: id.clone(),
            livemode: session.livemode,
            account_holder: session.account_holder.clone(),
            institution_name: institution_name.to_string(),
            active: true,
        },
    );
    id
}

/// Links fresh accounts of `institution` under a new authorization. `None` when the session's
/// filters leave no account to link.
fn link_fresh(
    inner: &Inner,
    st: &mut State,
    session: &SessionRec,
    templates: &[AccountTemplate],
    institution_name: &str,
) -> Option<(String, Vec<String>)> {
    let usable: Vec<&AccountTemplate> = templates
        .iter()
        .filter(|t| allowed(session, t.subcategory))
        .collect();
    if usable.is_empty() {
        return None;
    }
    let auth = new_authorization(inner, st, session, None, institution_name);
    if usable
        .iter()
        .any(|t| t.state == TemplateState::InactiveRelinkRequired)
    {
        if let Some(a) = st.authorizations.get_mut(&auth) {
            a.active = false;
        }
    }
    let ids = usable
        .into_iter()
        .map(|t| new_account(inner, st, session, t, &auth, institution_name, None))
        .collect();
    Some((auth, ids))
}

fn set_session(st: &mut State, id: &str, accounts: Vec<String>, relink: Option<RelinkResult>) {
    if let Some(s) = st.sessions.get_mut(id) {
        s.account_ids = accounts;
        if relink.is_some() {
            s.relink_result = relink;
        }
    }
}

fn relink_failure(reason: &str) -> Option<RelinkResult> {
    Some(RelinkResult {
        authorization: None,
        account: None,
        failure_reason: Some(reason.to_string()),
    })
}

fn run(inner: &Inner, st: &mut State, session: &SessionRec, inst: Institution) -> Plan {
    let relink = session.relink_options.clone();
    match inst {
        Institution::SuccessOne
        | Institution::SuccessThree
        | Institution::InactiveNeedsRelink
        | Institution::DataBank
        | Institution::RefreshFailsBank
        | Institution::GoesInactiveBank
        | Institution::NoTransactionsBank => {
            match link_fresh(
                inner,
                st,
                session,
                inst.templates(),
                inst.institution_name(),
            ) {
                None => Plan::failed("accounts_unavailable", None),
                Some((auth, ids)) => {
                    // In a relink session, linking afresh is a success with a new authorization.
                    let rr = relink.as_ref().map(|_| RelinkResult {
                        authorization: Some(auth),
                        account: None,
                        failure_reason: None,
                    });
                    set_session(st, &session.id, ids, rr);
                    Plan::completed()
                }
            }
        }
        Institution::ExitEarly => Plan::canceled(None),
        Institution::OauthCanceled => Plan::canceled(Some(Redirect::Cancel)),
        Institution::InstitutionDown => Plan::failed("institution_unavailable_unplanned", None),
        Institution::RelinkSame => {
            let Some(opts) = relink else {
                return Plan::failed("unexpected_error", None);
            };
            let name = st
                .authorizations
                .get(&opts.authorization)
                .map(|a| a.institution_name.clone())
                .unwrap_or_else(|| inst.institution_name().to_string());
            if !st.authorizations.contains_key(&opts.authorization) {
                new_authorization(inner, st, session, Some(opts.authorization.clone()), &name);
            }
            if let Some(a) = st.authorizations.get_mut(&opts.authorization) {
                a.active = true;
            }
            let mut on_auth: Vec<String> = st
                .account_order
                .iter()
                .filter(|id| {
                    st.accounts.get(*id).map(|a| a.authorization.as_str())
                        == Some(opts.authorization.as_str())
                })
                .cloned()
                .collect();
            if let Some(acc) = &opts.account {
                if !st.accounts.contains_key(acc) {
                    let t = inst.templates()[0];
                    new_account(
                        inner,
                        st,
                        session,
                        &t,
                        &opts.authorization,
                        &name,
                        Some(acc.clone()),
                    );
                    on_auth.push(acc.clone());
                } else if !on_auth.contains(acc) {
                    on_auth.push(acc.clone());
                }
            }
            if on_auth.is_empty() {
                let t = inst.templates()[0];
                on_auth.push(new_account(
                    inner,
                    st,
                    session,
                    &t,
                    &opts.authorization,
                    &name,
                    None,
                ));
            }
            // Relinking reactivates every account of the authorization.
            let now = inner.clock.now();
            let prefetch_balances = session.prefetch.iter().any(|p| p == "balances");
            for id in &on_auth {
                if let Some(a) = st.accounts.get_mut(id) {
                    if a.state != AccountState::Disconnected {
                        a.state = AccountState::Active;
                    }
                    a.permissions = a.data.granted(&session.permissions);
                    if prefetch_balances && a.has_permission("balances") {
                        a.balance = Some((a.bank_balance, now));
                        a.balance_refresh = Some(RefreshRec::succeeded(now, now + 3600));
                    }
                }
            }
            let linked = match &opts.account {
                Some(acc) => vec![acc.clone()],
                None => on_auth,
            };
            let rr = RelinkResult {
                authorization: Some(opts.authorization.clone()),
                account: opts.account.clone(),
                failure_reason: None,
            };
            set_session(st, &session.id, linked, Some(rr));
            Plan::completed()
        }
        Institution::RelinkNewAuthorization => {
            let Some(opts) = relink else {
                return Plan::failed("unexpected_error", None);
            };
            // The same bank account comes back under a new authorization, with a new id.
            let old = opts
                .account
                .as_ref()
                .and_then(|a| st.accounts.get(a))
                .cloned();
            let name = old
                .as_ref()
                .map(|a| a.institution_name.clone())
                .or_else(|| {
                    st.authorizations
                        .get(&opts.authorization)
                        .map(|a| a.institution_name.clone())
                })
                .unwrap_or_else(|| inst.institution_name().to_string());
            let template = match &old {
                Some(a) => AccountTemplate {
                    display_name: "Checking",
                    category: if a.category == "credit" {
                        "credit"
                    } else {
                        "cash"
                    },
                    subcategory: known_subcategory(&a.subcategory),
                    balance: (50_000, 900_000),
                    state: TemplateState::Active,
                    data: a.data,
                },
                None => inst.templates()[0],
            };
            let auth = new_authorization(inner, st, session, None, &name);
            let id = new_account(inner, st, session, &template, &auth, &name, None);
            // Same bank account: keep its name and number.
            if let (Some(old), Some(new)) = (&old, st.accounts.get_mut(&id)) {
                new.display_name = old.display_name.clone();
                new.last4 = old.last4.clone();
            }
            let rr = RelinkResult {
                authorization: Some(auth),
                account: None,
                failure_reason: None,
            };
            set_session(st, &session.id, vec![id], Some(rr));
            Plan::completed()
        }
        Institution::RelinkNoAccount => {
            set_session(st, &session.id, Vec::new(), relink_failure("no_account"));
            Plan::canceled(Some(Redirect::Success))
        }
        Institution::RelinkNoAuthorization => {
            set_session(
                st,
                &session.id,
                Vec::new(),
                relink_failure("no_authorization"),
            );
            Plan::canceled(Some(Redirect::Failure("authorization_failed")))
        }
        Institution::RelinkOther => {
            set_session(st, &session.id, Vec::new(), relink_failure("other"));
            Plan::failed("unexpected_error", None)
        }
    }
}

fn known_subcategory(s: &str) -> &'static str {
    match s {
        "savings" => "savings",
        "credit_card" => "credit_card",
        "line_of_credit" => "line_of_credit",
        "mortgage" => "mortgage",
        "other" => "other",
        _ => "checking",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ios_redirects_append_to_the_query() {
        assert_eq!(
            ios_redirect("myapp://stripe-redirect", "fcsess_1", Redirect::Success),
            "myapp://stripe-redirect?status=success&session_id=fcsess_1"
        );
        assert_eq!(
            ios_redirect("https://ex.com/r?app=1", "fcsess_1", Redirect::Cancel),
            "https://ex.com/r?app=1&status=cancel&session_id=fcsess_1"
        );
        assert_eq!(
            ios_redirect(
                "myapp://r",
                "fcsess_1",
                Redirect::Failure("authorization_failed")
            ),
            "myapp://r?status=failure&error_reason=authorization_failed&session_id=fcsess_1"
        );
    }

    #[test]
    fn android_redirects() {
        assert_eq!(
            android_redirect("com.x", Redirect::Success),
            "stripe-auth://link-accounts/com.x/success"
        );
        assert_eq!(
            android_redirect("com.x", Redirect::Cancel),
            "stripe-auth://link-accounts/com.x/cancel"
        );
        assert!(android_redirect("com.x", Redirect::Failure("e"))
            .starts_with("stripe://auth-redirect/com.x?"));
    }
}
