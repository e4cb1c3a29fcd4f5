//! The simulated test institutions: what a user "does" in Stripe's sheet for each one, and the
//! templates of the accounts they link, including what their data looks like afterwards (size of
//! the transaction history, number of owners, how refreshes end: `DataProfile`). The sheet itself
//! (linking, outcome, redirect) is run by `sheet.rs`; refreshes by `stripe/data.rs`.

use std::fmt;
use std::str::FromStr;

/// A test institution: picking it in the simulated sheet decides what the user does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Institution {
    /// Links 1 checking account. Completed, redirect `status=success`.
    SuccessOne,
    /// Links 3 accounts (checking, savings, credit card). Completed.
    SuccessThree,
    /// The user leaves the sheet before reaching the bank: 0 accounts, canceled, no redirect.
    ExitEarly,
    /// The user cancels on the bank's OAuth page: 0 accounts, canceled, redirect `status=cancel`.
    OauthCanceled,
    /// Links 2 accounts: one `inactive` (`status_details.inactive.action = relink_required`) and
    /// one `active` with `status_details.active.expected_deactivation_date`. Completed.
    InactiveNeedsRelink,
    /// Relink session: the authorization is repaired, its accounts reactivated and linked;
    /// `relink_result = {authorization: <same>, account: <relink_options.account>}`.
    RelinkSame,
    /// Relink session: the user authenticates but Stripe makes a new authorization with new
    /// accounts; `relink_result.authorization` is the new one.
    RelinkNewAuthorization,
    /// Relink session: authenticated but the required account was not linked: 0 accounts,
    /// canceled, `relink_result.failure_reason = no_account`.
    RelinkNoAccount,
    /// Relink session: the user could not authenticate: 0 accounts, canceled, redirect
    /// `status=failure`, `relink_result.failure_reason = no_authorization`.
    RelinkNoAuthorization,
    /// Relink session: unexpected failure: 0 accounts, failed (`unexpected_error`),
    /// `relink_result.failure_reason = other`.
    RelinkOther,
    /// The bank is down: the sheet fails with `institution_unavailable_unplanned`, 0 accounts.
    InstitutionDown,
    /// Links 2 accounts with a lot of data, to exercise paging: a checking account whose first
    /// transaction history has 250 transactions (more than Stripe's 100 per page) and 1 owner,
    /// and a savings account with 40 transactions and 12 owners (more than a default page of 10).
    /// Every refresh succeeds. Completed.
    DataBank,
    /// Links 1 checking account whose every refresh (balance, ownership, transactions) finishes
    /// `failed`. Completed.
    RefreshFailsBank,
    /// Links 1 checking account that becomes `inactive` (`status_details.inactive = {action:
    /// relink_required, cause: access_expired}`, its authorization inactive) as soon as its first
    /// refresh is requested; that refresh then finishes `failed`. Completed.
    GoesInactiveBank,
    /// Links 1 checking account; the user declines the `transactions` permission, so the account's
    /// `permissions` never include it (even if the session asked) and a transactions refresh is
    /// refused with `400`. Completed.
    NoTransactionsBank,
}

impl Institution {
    pub const ALL: [Institution; 15] = [
        Institution::SuccessOne,
        Institution::SuccessThree,
        Institution::ExitEarly,
        Institution::OauthCanceled,
        Institution::InactiveNeedsRelink,
        Institution::RelinkSame,
        Institution::RelinkNewAuthorization,
        Institution::RelinkNoAccount,
        Institution::RelinkNoAuthorization,
        Institution::RelinkOther,
        Institution::InstitutionDown,
        Institution::DataBank,
        Institution::RefreshFailsBank,
        Institution::GoesInactiveBank,
        Institution::NoTransactionsBank,
    ];

    /// The snake_case name (`success_one`, `relink_same`, …).
    pub fn name(self) -> &'static str {
        match self {
            Institution::SuccessOne => "success_one",
            Institution::SuccessThree => "success_three",
            Institution::ExitEarly => "exit_early",
            Institution::OauthCanceled => "oauth_canceled",
            Institution::InactiveNeedsRelink => "inactive_needs_relink",
            Institution::RelinkSame => "relink_same",
            Institution::RelinkNewAuthorization => "relink_new_authorization",
            Institution::RelinkNoAccount => "relink_no_account",
            Institution::RelinkNoAuthorization => "relink_no_authorization",
            Institution::RelinkOther => "relink_other",
            Institution::InstitutionDown => "institution_down",
            Institution::DataBank => "data_bank",
            Institution::RefreshFailsBank => "refresh_fails_bank",
            Institution::GoesInactiveBank => "goes_inactive_bank",
            Institution::NoTransactionsBank => "no_transactions_bank",
        }
    }

    /// Parses a name, case-insensitively, with `-` accepted for `_`.
    pub fn from_name(name: &str) -> Option<Institution> {
        let n = name.trim().to_ascii_lowercase().replace('-', "_");
        Institution::ALL.into_iter().find(|i| i.name() == n)
    }

    /// Whether this institution only makes sense in a session created with `relink_options`.
    pub fn is_relink(self) -> bool {
        matches!(
            self,
            Institution::RelinkSame
                | Institution::RelinkNewAuthorization
                | Institution::RelinkNoAccount
                | Institution::RelinkNoAuthorization
                | Institution::RelinkOther
        )
    }

    /// The `institution_name` of the accounts it links (relinks keep the original's name).
    pub fn institution_name(self) -> &'static str {
        match self {
            Institution::SuccessOne => "StripeBank",
            Institution::SuccessThree => "Sim National Bank",
            Institution::ExitEarly => "StripeBank",
            Institution::OauthCanceled => "Test OAuth Institution",
            Institution::InactiveNeedsRelink => "Inactive Accounts Bank",
            Institution::InstitutionDown => "Down Bank (unplanned outage)",
            Institution::DataBank => "Data Bank",
            Institution::RefreshFailsBank => "Refresh Fails Bank",
            Institution::GoesInactiveBank => "Goes Inactive Bank",
            Institution::NoTransactionsBank => "No Transactions Bank",
            _ => "Relink Test Bank",
        }
    }

    pub(crate) fn templates(self) -> &'static [AccountTemplate] {
        match self {
            Institution::SuccessOne => &[CHECKING],
            Institution::SuccessThree => &[CHECKING, SAVINGS, CREDIT_CARD],
            Institution::InactiveNeedsRelink => &[
                AccountTemplate {
                    state: TemplateState::InactiveRelinkRequired,
                    display_name: "Everyday Checking",
                    ..CHECKING
                },
                AccountTemplate {
                    state: TemplateState::ActiveExpiring,
                    display_name: "Rainy Day Savings",
                    ..SAVINGS
                },
            ],
            Institution::RelinkSame | Institution::RelinkNewAuthorization => &[CHECKING],
            Institution::DataBank => &[
                AccountTemplate {
                    display_name: "Data Checking",
                    data: DataProfile {
                        transactions: 250,
                        ..CHECKING.data
                    },
                    ..CHECKING
                },
                AccountTemplate {
                    display_name: "Data Savings",
                    data: DataProfile {
                        transactions: 40,
                        owners: 12,
                        ..SAVINGS.data
                    },
                    ..SAVINGS
                },
            ],
            Institution::RefreshFailsBank => &[AccountTemplate {
                data: DataProfile {
                    refreshes: RefreshBehaviour::Fail,
                    ..CHECKING.data
                },
                ..CHECKING
            }],
            Institution::GoesInactiveBank => &[AccountTemplate {
                data: DataProfile {
                    refreshes: RefreshBehaviour::DeactivateOnFirst,
                    ..CHECKING.data
                },
                ..CHECKING
            }],
            Institution::NoTransactionsBank => &[AccountTemplate {
                data: DataProfile {
                    declines_transactions: true,
                    ..CHECKING.data
                },
                ..CHECKING
            }],
            _ => &[],
        }
    }
}

impl fmt::Display for Institution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Institution {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Institution::from_name(s).ok_or_else(|| {
            let names: Vec<&str> = Institution::ALL.iter().map(|i| i.name()).collect();
            format!("unknown institution `{s}` (known: {})", names.join(", "))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TemplateState {
    Active,
    /// Active, but `status_details.active` announces a deactivation (relink required soon).
    ActiveExpiring,
    /// Inactive, `status_details.inactive = {action: relink_required, cause: access_expired}`.
    InactiveRelinkRequired,
}

/// How an account's refreshes end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshBehaviour {
    /// Every refresh succeeds (while the account is active).
    Succeed,
    /// Every refresh finishes `failed`.
    Fail,
    /// The first refresh request makes the account inactive (`access_expired`); it then fails,
    /// like every refresh of an inactive account. Later refreshes behave like `Succeed`.
    DeactivateOnFirst,
}

/// The data behind an account: what its refreshes produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DataProfile {
    /// Transactions in the history the first successful transactions refresh creates.
    pub transactions: usize,
    /// Owners each successful ownership refresh finds.
    pub owners: usize,
    pub refreshes: RefreshBehaviour,
    /// The user declines the `transactions` permission at the bank.
    pub declines_transactions: bool,
}

impl DataProfile {
    pub(crate) const fn ordinary(transactions: usize) -> Self {
        DataProfile {
            transactions,
            owners: 1,
            refreshes: RefreshBehaviour::Succeed,
            declines_transactions: false,
        }
    }

    /// The permissions the account gets when the session asked for `requested`.
    pub(crate) fn granted(&self, requested: &[String]) -> Vec<String> {
        requested
            .iter()
            .filter(|p| !(self.declines_transactions && *p == "transactions"))
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct AccountTemplate {
    pub display_name: &'static str,
    pub category: &'static str,
    pub subcategory: &'static str,
    /// Balance range in cents; credit balances are owed by the holder (negative `current`).
    pub balance: (i64, i64),
    pub state: TemplateState,
    pub data: DataProfile,
}

const CHECKING: AccountTemplate = AccountTemplate {
    display_name: "Checking",
    category: "cash",
    subcategory: "checking",
    balance: (50_000, 900_000),
    state: TemplateState::Active,
    data: DataProfile::ordinary(30),
};
const SAVINGS: AccountTemplate = AccountTemplate {
    display_name: "Savings",
    category: "cash",
    subcategory: "savings",
    balance: (100_000, 5_000_000),
    state: TemplateState::Active,
    data: DataProfile::ordinary(12),
};
const CREDIT_CARD: AccountTemplate = AccountTemplate {
    display_name: "Platinum Card",
    category: "credit",
    subcategory: "credit_card",
    balance: (1_000, 300_000),
    state: TemplateState::Active,
    data: DataProfile::ordinary(20),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for i in Institution::ALL {
            assert_eq!(Institution::from_name(i.name()), Some(i));
            assert_eq!(i.to_string().parse::<Institution>(), Ok(i));
        }
        assert_eq!(
            Institution::from_name("Relink-Same"),
            Some(Institution::RelinkSame)
        );
        assert!("nope"
            .parse::<Institution>()
            .unwrap_err()
            .contains("success_one"));
    }

    #[test]
    fn account_counts() {
        assert_eq!(Institution::SuccessOne.templates().len(), 1);
        assert_eq!(Institution::SuccessThree.templates().len(), 3);
        assert_eq!(Institution::InactiveNeedsRelink.templates().len(), 2);
        assert!(Institution::ExitEarly.templates().is_empty());
        assert!(Institution::InstitutionDown.templates().is_empty());
        let data = Institution::DataBank.templates();
        assert_eq!(data.len(), 2);
        assert_eq!((data[0].data.transactions, data[0].data.owners), (250, 1));
        assert_eq!((data[1].data.transactions, data[1].data.owners), (40, 12));
        for i in [
            Institution::RefreshFailsBank,
            Institution::GoesInactiveBank,
            Institution::NoTransactionsBank,
        ] {
            assert_eq!(i.templates().len(), 1);
            assert_eq!(i.templates()[0].subcategory, "checking");
        }
    }

    #[test]
    fn declined_permissions_are_not_granted() {
        let asked: Vec<String> = ["balances", "transactions"].map(String::from).to_vec();
        assert_eq!(DataProfile::ordinary(1).granted(&asked), asked);
        let t = Institution::NoTransactionsBank.templates()[0];
        assert_eq!(t.data.granted(&asked), vec!["balances".to_string()]);
    }
}
