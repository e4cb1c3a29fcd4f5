//! The accounts endpoints: listing the user's linked accounts and disconnecting one.

use super::wire::{check_accounts, decode_answer, Wrapper};
use super::{BackendClient, BackendError, EndpointPath, RawCall};
use finconn_core::ids::{self, IdKind};
use finconn_core::model::Account;
use finconn_core::network::HttpMethod;

impl BackendClient {
    /// `GET /accounts`: the user's linked accounts.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, BackendError> {
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint: "list_accounts",
                method: HttpMethod::Get,
                path: EndpointPath::ListAccounts,
                ids: &[],
                query: &[],
                body: None,
                idempotency_key: None,
            })
            .await?;
        let accounts: Vec<Account> = decode_answer(
            "list_accounts",
            &answer,
            Wrapper::Accounts,
            "expected a list of accounts",
            request_id.clone(),
        )?;
        check_accounts("list_accounts", &accounts, request_id)?;
        Ok(accounts)
    }

    /// `POST /accounts/{id}/disconnect`.
    pub async fn disconnect_account(
        &self,
        account_id: &str,
        idempotency_key: &str,
    ) -> Result<Account, BackendError> {
        ids::check(IdKind::Account, account_id)
            .map_err(|e| BackendError::InvalidConfiguration(e.to_string()))?;
        let body = b"{}".to_vec();
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint: "disconnect_account",
                method: HttpMethod::Post,
                path: EndpointPath::DisconnectAccount,
                ids: &[account_id],
                query: &[],
                body: Some(&body),
                idempotency_key: Some(idempotency_key),
            })
            .await?;
        let account: Account = decode_answer(
            "disconnect_account",
            &answer,
            Wrapper::Account,
            "not a financial_connections.account",
            request_id.clone(),
        )?;
        check_accounts(
            "disconnect_account",
            std::slice::from_ref(&account),
            request_id,
        )?;
        Ok(account)
    }
}
