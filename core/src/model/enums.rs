//! Every string enum of the Financial Connections objects, as open enums (see `open_enum!`):
//! unknown values decode to `Unknown(String)` and are written back unchanged.
//!
//! Values come from Stripe's OpenAPI spec, GA and private preview (PP) merged.

use super::open_enum::open_enum;

open_enum! {
    /// A data permission granted on a session or an account (`permissions[]`).
    pub enum Permission {
        Balances => "balances",
        Ownership => "ownership",
        PaymentMethod => "payment_method",
        Transactions => "transactions",
    }
}

open_enum! {
    /// A data feature fetched right after linking, as a session's `prefetch[]` spells it on the
    /// wire. Apps name it with [`crate::data::DataFeature`], the one enum of a kind of account
    /// data (`From` maps it here); this one decodes Stripe's answers and keeps unknown values.
    pub enum PrefetchFeature {
        Balances => "balances",
        /// Private preview.
        InferredBalances => "inferred_balances",
        Ownership => "ownership",
        Transactions => "transactions",
    }
}

open_enum! {
    /// A data feature an account is subscribed to for periodic refreshes (`subscriptions[]`).
    /// Note the singular `balance`, unlike [`PrefetchFeature::Balances`].
    pub enum AccountSubscription {
        /// Private preview.
        Balance => "balance",
        /// Private preview.
        InferredBalances => "inferred_balances",
        Transactions => "transactions",
    }
}

open_enum! {
    /// The type of an account (`category`).
    pub enum AccountCategory {
        Cash => "cash",
        Credit => "credit",
        Investment => "investment",
        Other => "other",
    }
}

open_enum! {
    /// The subtype of an account (`subcategory`, and a session's `filters.account_subcategories`).
    pub enum AccountSubcategory {
        Checking => "checking",
        CreditCard => "credit_card",
        LineOfCredit => "line_of_credit",
        Mortgage => "mortgage",
        Other => "other",
        Savings => "savings",
    }
}

open_enum! {
    /// The status of the link to an account.
    pub enum AccountStatus {
        Active => "active",
        Disconnected => "disconnected",
        Inactive => "inactive",
    }
}

open_enum! {
    /// The status of an authorization (the credentials behind a group of accounts).
    pub enum AuthorizationStatus {
        Active => "active",
        Disconnected => "disconnected",
        Inactive => "inactive",
    }
}

open_enum! {
    /// What the account holder must do (`status_details.active.action`,
    /// `status_details.inactive.action`).
    pub enum StatusAction {
        None => "none",
        RelinkRequired => "relink_required",
    }
}

open_enum! {
    /// Why an active account is expected to be deactivated (`status_details.active.cause`).
    pub enum ActiveCause {
        AccessExpired => "access_expired",
        InstitutionRequirement => "institution_requirement",
        Unspecified => "unspecified",
    }
}

open_enum! {
    /// Why an account became inactive (`status_details.inactive.cause`, private preview).
    pub enum InactiveCause {
        AccessDenied => "access_denied",
        AccessExpired => "access_expired",
        AccountClosed => "account_closed",
        AccountUnavailable => "account_unavailable",
        InstitutionRequirement => "institution_requirement",
        Unspecified => "unspecified",
    }
}

open_enum! {
    /// The status of a balance, ownership, inferred-balance or transaction refresh.
    pub enum RefreshStatus {
        Failed => "failed",
        Pending => "pending",
        Succeeded => "succeeded",
    }
}

open_enum! {
    /// The status of a session (private preview). Note Stripe's spelling `cancelled`.
    pub enum SessionStatus {
        Cancelled => "cancelled",
        Failed => "failed",
        Pending => "pending",
        Succeeded => "succeeded",
    }
}

open_enum! {
    /// Why a session was cancelled (`status_details.cancelled.reason`, private preview).
    pub enum SessionCancelledReason {
        CustomManualEntry => "custom_manual_entry",
        Other => "other",
    }
}

open_enum! {
    /// How the session's UI is shown (private preview).
    pub enum UiMode {
        Hosted => "hosted",
        Modal => "modal",
    }
}

open_enum! {
    /// How a hosted session reaches the account holder (`hosted.delivery_method`, private
    /// preview).
    pub enum HostedDeliveryMethod {
        Email => "email",
        Url => "url",
    }
}

open_enum! {
    /// The outcome of consent collected before the session (`pre_collected_consent.outcome`,
    /// private preview).
    pub enum ConsentOutcome {
        ConsentAccepted => "consent_accepted",
        ConsentRequired => "consent_required",
    }
}

open_enum! {
    /// Why a relink session failed (`relink_result.failure_reason`, private preview).
    pub enum RelinkFailureReason {
        /// The account holder did not complete the flow with the required account.
        NoAccount => "no_account",
        /// The account holder could not authorize any accounts.
        NoAuthorization => "no_authorization",
        /// Unknown reason.
        Other => "other",
    }
}

open_enum! {
    /// Whether manual entry of account details is offered (`manual_entry.mode`).
    pub enum ManualEntryMode {
        Automatic => "automatic",
        /// Private preview.
        Custom => "custom",
        Disabled => "disabled",
    }
}

open_enum! {
    /// Which accounts must support a payment method (`filters.require_payment_method_support`).
    pub enum RequirePaymentMethodSupport {
        All => "all",
        AtLeastOne => "at_least_one",
        None => "none",
    }
}

open_enum! {
    /// A payment method an account can back (`supported_payment_method_types[]`).
    pub enum PaymentMethodType {
        Link => "link",
        UsBankAccount => "us_bank_account",
    }
}

open_enum! {
    /// The kind of owner of an account holder (`account_holder.type`).
    pub enum AccountHolderType {
        Account => "account",
        Customer => "customer",
    }
}

open_enum! {
    /// The type of an account's balance (`balance.type`); a hash with the same name carries the
    /// details.
    pub enum BalanceType {
        Cash => "cash",
        Credit => "credit",
    }
}

open_enum! {
    /// The status of a transaction.
    pub enum TransactionStatus {
        Pending => "pending",
        Posted => "posted",
        Void => "void",
    }
}

open_enum! {
    /// How confident an enrichment or classification is (private preview).
    pub enum ConfidenceLevel {
        High => "high",
        Low => "low",
        Medium => "medium",
        VeryHigh => "very_high",
    }
}

open_enum! {
    /// The state of a background process on an account (`classification_state`,
    /// `enrichment_state`, private preview).
    pub enum ProcessingStatus {
        Completed => "completed",
        Pending => "pending",
    }
}

open_enum! {
    /// What an account number is (`account_numbers[].identifier_type`).
    pub enum AccountNumberIdentifierType {
        AccountNumber => "account_number",
        TokenizedAccountNumber => "tokenized_account_number",
    }
}

open_enum! {
    /// Whether an account number can be used (`account_numbers[].status`).
    pub enum AccountNumberStatus {
        Deactivated => "deactivated",
        /// Private preview.
        Expired => "expired",
        /// Private preview.
        Pending => "pending",
        Transactable => "transactable",
    }
}

open_enum! {
    /// A payment network an account number works on (`account_numbers[].supported_networks[]`).
    pub enum PaymentNetwork {
        Ach => "ach",
    }
}

open_enum! {
    /// The health of an institution's connection (private preview).
    pub enum InstitutionStatus {
        Active => "active",
        Degraded => "degraded",
        Inactive => "inactive",
    }
}
