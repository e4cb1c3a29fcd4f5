//! The session endpoints: creating the flow's session, sending its completion report, and
//! Stripe's fallback that reads the session with the publishable key when the backend cannot
//! answer.

use super::retry::Auth;
use super::wire::{
    check_accounts, check_session_ids, create_session_body, decode_answer, parse_created_session,
    Wrapper,
};
use super::{BackendClient, BackendError, CompletionReport, CreatedSession, EndpointPath, RawCall};
use finconn_core::model::{Account, Session};
use finconn_core::network::policy;
use finconn_core::network::HttpMethod;
use finconn_core::options::SessionOptions;
use finconn_core::secret::Secret;

impl BackendClient {
    /// `POST /sessions`: creates (or, for a known key, returns again) the flow's session.
    pub async fn create_session(
        &self,
        options: &SessionOptions,
        idempotency_key: &str,
    ) -> Result<CreatedSession, BackendError> {
        let body = create_session_body(options);
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint: "create_session",
                method: HttpMethod::Post,
                path: EndpointPath::CreateSession,
                ids: &[],
                query: &[],
                body: Some(&body),
                idempotency_key: Some(idempotency_key),
            })
            .await?;
        parse_created_session(&answer)
            .map_err(|message| BackendError::invalid("create_session", message, request_id))
    }

    /// `POST /sessions/{id}/complete`: sends the report, returns the server's session.
    pub async fn complete_session(
        &self,
        report: &CompletionReport,
    ) -> Result<Session, BackendError> {
        report
            .check()
            .map_err(|m| BackendError::InvalidConfiguration(format!("completion report: {m}")))?;
        if let Some(t) = &report.report_token {
            policy::remember_secret(t);
        }
        let body = serde_json::to_vec(report).unwrap_or_default();
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint: "complete_session",
                method: HttpMethod::Post,
                path: EndpointPath::CompleteSession,
                ids: &[&report.session_id],
                query: &[],
                body: Some(&body),
                idempotency_key: Some(&report.report_id),
            })
            .await?;
        let session: Session = decode_answer(
            "complete_session",
            &answer,
            Wrapper::Session,
            "not a financial_connections.session",
            request_id.clone(),
        )?;
        check_session_ids("complete_session", &session, request_id)?;
        Ok(session)
    }

    /// Stripe fallback: the session as Stripe's own SDKs read it after the sheet closes,
    /// `GET /v1/link_account_sessions/session_receipt` then every page of `list_accounts`.
    ///
    /// This is the one place a client secret leaves the process, to Stripe's API and only as
    /// Stripe's API requires (a query parameter, `Authorization: Bearer <publishable key>`); it is
    /// never logged, and the host's headers are never sent to Stripe.
    pub async fn stripe_session_receipt(
        &self,
        client_secret: &Secret,
        publishable_key: &Secret,
        stripe_account: Option<&str>,
    ) -> Result<Session, BackendError> {
        let auth = Auth::Stripe {
            key: publishable_key,
            account: stripe_account,
        };
        let url = self.inner.stripe_base.join(
            "stripe_session_receipt",
            &self.inner.stripe_receipt,
            &[],
            &[("client_secret", client_secret.expose())],
        )?;
        let (receipt, request_id) = self
            .call_url(
                "stripe_session_receipt",
                HttpMethod::Get,
                url,
                None,
                None,
                auth,
            )
            .await?;
        let mut session: Session = decode_answer(
            "stripe_session_receipt",
            &receipt,
            Wrapper::None,
            "not a session",
            request_id.clone(),
        )?;
        check_session_ids("stripe_session_receipt", &session, request_id)?;
        // Page the accounts the way the SDKs do, up to Stripe's 100-account cap.
        let mut has_more = session.accounts.has_more;
        while has_more && session.accounts.data.len() < 100 {
            let after = session
                .accounts
                .data
                .last()
                .map(|a| a.id.clone())
                .unwrap_or_default();
            let mut query = vec![("client_secret", client_secret.expose())];
            if !after.is_empty() {
                query.push(("starting_after", after.as_str()));
            }
            let url = self.inner.stripe_base.join(
                "stripe_list_accounts",
                &self.inner.stripe_accounts,
                &[],
                &query,
            )?;
            let (page, request_id) = self
                .call_url(
                    "stripe_list_accounts",
                    HttpMethod::Get,
                    url,
                    None,
                    None,
                    auth,
                )
                .await?;
            let page: finconn_core::model::List<Account> = decode_answer(
                "stripe_list_accounts",
                &page,
                Wrapper::None,
                "not a list of accounts",
                request_id.clone(),
            )?;
            check_accounts("stripe_list_accounts", &page.data, request_id)?;
            if page.data.is_empty() {
                break;
            }
            has_more = page.has_more;
            session.accounts.data.extend(page.data);
        }
        session.accounts.has_more = has_more;
        Ok(session)
    }
}
