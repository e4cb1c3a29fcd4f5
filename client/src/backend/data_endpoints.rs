//! The account-data endpoints: one account as Stripe has it now, its refreshes and
//! subscriptions, and the pages of its owners and transactions, each answer checked before the
//! account-data API (`crate::account_data`) sees it.

use super::wire::{check_accounts, decode_answer, features_body, Wrapper};
use super::{BackendClient, BackendError, EndpointPath, Page, RawCall};
use finconn_core::data;
use finconn_core::ids::{self, IdKind};
use finconn_core::model::{Account, AccountOwner, Transaction};
use finconn_core::network::HttpMethod;

impl BackendClient {
    /// `GET /accounts/{id}`: the account as Stripe has it now (balance, refresh records).
    pub async fn get_account(&self, account_id: &str) -> Result<Account, BackendError> {
        self.account_call(
            "account",
            HttpMethod::Get,
            EndpointPath::Account,
            account_id,
            None,
            None,
        )
        .await
    }

    /// `POST /accounts/{id}/refresh {"features": [...]}`: starts Stripe's refreshes; the answer
    /// is the account with the refreshes `pending`.
    pub async fn refresh_account(
        &self,
        account_id: &str,
        features: &[&str],
        idempotency_key: &str,
    ) -> Result<Account, BackendError> {
        let body = features_body(features);
        self.account_call(
            "refresh_account",
            HttpMethod::Post,
            EndpointPath::RefreshAccount,
            account_id,
            Some(&body),
            Some(idempotency_key),
        )
        .await
    }

    /// `POST /accounts/{id}/subscribe` (or `/unsubscribe` when `on` is false).
    pub async fn subscription(
        &self,
        account_id: &str,
        features: &[&str],
        on: bool,
        idempotency_key: &str,
    ) -> Result<Account, BackendError> {
        let body = features_body(features);
        let (endpoint, path) = if on {
            ("subscribe", EndpointPath::Subscribe)
        } else {
            ("unsubscribe", EndpointPath::Unsubscribe)
        };
        self.account_call(
            endpoint,
            HttpMethod::Post,
            path,
            account_id,
            Some(&body),
            Some(idempotency_key),
        )
        .await
    }

    async fn account_call(
        &self,
        endpoint: &'static str,
        method: HttpMethod,
        path: EndpointPath,
        account_id: &str,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
    ) -> Result<Account, BackendError> {
        ids::check(IdKind::Account, account_id)
            .map_err(|e| BackendError::InvalidConfiguration(e.to_string()))?;
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint,
                method,
                path,
                ids: &[account_id],
                query: &[],
                body,
                idempotency_key,
            })
            .await?;
        let account: Account = decode_answer(
            endpoint,
            &answer,
            Wrapper::Account,
            "not a financial_connections.account",
            request_id.clone(),
        )?;
        check_accounts(endpoint, std::slice::from_ref(&account), request_id.clone())?;
        if account.id != account_id {
            return Err(BackendError::invalid(
                endpoint,
                "the answer is another account",
                request_id,
            ));
        }
        Ok(account)
    }

    /// `GET /accounts/{id}/owners?limit=&starting_after=`: one page of the account's owners. A
    /// page holding more than `limit` owners, or an owner of the wrong shape, is an invalid
    /// response.
    pub async fn owners_page(
        &self,
        account_id: &str,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<AccountOwner>, BackendError> {
        let endpoint = "account_owners";
        let limit = limit.clamp(1, data::PAGE_LIMIT);
        let limit_text = limit.to_string();
        let mut query = vec![("limit", limit_text.as_str())];
        if let Some(after) = starting_after {
            query.push(("starting_after", after));
        }
        let page: Page<AccountOwner> = self
            .list_call(
                endpoint,
                EndpointPath::AccountOwners,
                account_id,
                &query,
                "not a list of owners",
            )
            .await?;
        page.check(endpoint, limit, data::check_owner)?;
        Ok(page)
    }

    /// `GET /accounts/{id}/transactions?limit=&starting_after=&after_refresh=`: one page. A page
    /// holding more than `limit` transactions, or a transaction of the wrong shape or of another
    /// account, is an invalid response.
    pub async fn transactions_page(
        &self,
        account_id: &str,
        after_refresh: Option<&str>,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Transaction>, BackendError> {
        let endpoint = "account_transactions";
        let limit = limit.clamp(1, data::PAGE_LIMIT);
        let limit_text = limit.to_string();
        let mut query = vec![("limit", limit_text.as_str())];
        if let Some(after) = starting_after {
            query.push(("starting_after", after));
        }
        if let Some(r) = after_refresh {
            ids::check(IdKind::TransactionRefresh, r)
                .map_err(|e| BackendError::InvalidConfiguration(e.to_string()))?;
            query.push(("after_refresh", r));
        }
        let page: Page<Transaction> = self
            .list_call(
                endpoint,
                EndpointPath::AccountTransactions,
                account_id,
                &query,
                "not a list of transactions",
            )
            .await?;
        page.check(endpoint, limit, |t| data::check_transaction(t, account_id))?;
        Ok(page)
    }

    async fn list_call<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &'static str,
        path: EndpointPath,
        account_id: &str,
        query: &[(&str, &str)],
        what: &str,
    ) -> Result<Page<T>, BackendError> {
        ids::check(IdKind::Account, account_id)
            .map_err(|e| BackendError::InvalidConfiguration(e.to_string()))?;
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint,
                method: HttpMethod::Get,
                path,
                ids: &[account_id],
                query,
                body: None,
                idempotency_key: None,
            })
            .await?;
        let bytes = answer.len() as u64;
        let list = decode_answer(endpoint, &answer, Wrapper::None, what, request_id.clone())?;
        Ok(Page {
            list,
            bytes,
            request_id,
        })
    }
}
