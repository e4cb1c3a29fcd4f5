//! Stripe's Financial Connections objects, decoded with serde and tolerant of change.
//!
//! | file | owns |
//! |---|---|
//! | `open_enum.rs` | the `open_enum!` macro: string enums that keep unknown values verbatim |
//! | `enums.rs` | every enum of the objects, as open enums |
//! | `expandable.rs` | [`Expandable`] (id or expanded object) and [`HasObjectId`] |
//! | `list.rs` | [`List`], Stripe's list page |
//! | `session.rs` | [`Session`] and its parts, [`PaymentAccount`] |
//! | `account.rs` | [`Account`], [`AccountHolder`], [`StatusDetails`], [`Balance`], refreshes, [`AccountInferredBalance`] |
//! | `ownership.rs` | [`AccountOwner`], [`AccountOwnership`] |
//! | `transaction.rs` | [`Transaction`] |
//! | `authorization.rs` | [`Authorization`] |
//! | `institution.rs` | [`Institution`] |
//! | `object_kind.rs` | which object a JSON value is: Stripe's `object` names and id prefixes, legacy ones included (the one copy of them) |
//! | `decode.rs` | [`decode_object`], [`decode_session`], [`decode_account`], [`decode_account_list`], [`StripeObject`], [`DecodeError`] |
//!
//! Rules every type follows:
//! - unknown JSON fields are ignored, unknown enum values are kept (`Unknown(String)`) and written
//!   back unchanged;
//! - optional fields decode the same from `null` and from absence, and are omitted on output;
//! - legacy names are accepted: `link_account_session`, `linked_account`, the `linked_accounts`
//!   key, `las_`/`la_` ids; an absent `object` is fine;
//! - secrets (`client_secret`) are decoded into [`Secret`](crate::secret::Secret) and never
//!   serialized.

mod account;
mod authorization;
mod decode;
mod enums;
mod expandable;
mod institution;
mod list;
mod object_kind;
pub(crate) mod open_enum;
mod ownership;
mod serde_util;
mod session;
mod transaction;

/// For other modules of the crate that need an open string enum.
#[allow(unused_imports)]
pub(crate) use open_enum::open_enum;
/// For other modules of the crate that decode a model type from buffered JSON.
pub(crate) use serde_util::from_json_text;

pub use account::{
    Account, AccountHolder, AccountInferredBalance, AccountNumberDetails, ActiveStatusDetails,
    Balance, CashBalance, CreditBalance, CurrencyAmounts, EnrichmentState, InactiveStatusDetails,
    ProcessingState, Refresh, StatusDetails, TransactionRefresh,
};
pub use authorization::Authorization;
pub use decode::{
    decode_account, decode_account_list, decode_object, decode_session, DecodeError, StripeObject,
};
pub use enums::{
    AccountCategory, AccountHolderType, AccountNumberIdentifierType, AccountNumberStatus,
    AccountStatus, AccountSubcategory, AccountSubscription, ActiveCause, AuthorizationStatus,
    BalanceType, ConfidenceLevel, ConsentOutcome, HostedDeliveryMethod, InactiveCause,
    InstitutionStatus, ManualEntryMode, PaymentMethodType, PaymentNetwork, Permission,
    PrefetchFeature, ProcessingStatus, RefreshStatus, RelinkFailureReason,
    RequirePaymentMethodSupport, SessionCancelledReason, SessionStatus, StatusAction,
    TransactionStatus, UiMode,
};
pub use expandable::{Expandable, HasObjectId};
pub use institution::{FeatureSupport, Institution, InstitutionFeatures};
pub use list::List;
pub use ownership::{AccountOwner, AccountOwnership};
pub use session::{
    BankAccount, CancelledStatusDetails, Hosted, ManualEntry, PaymentAccount, PreCollectedConsent,
    RelinkOptions, RelinkResult, Session, SessionFilters, SessionLimits, SessionStatusDetails,
};
pub use transaction::{
    ClassificationLabel, MerchantEnrichment, StatusTransitions, Transaction,
    TransactionClassification, TransactionEnrichments,
};
