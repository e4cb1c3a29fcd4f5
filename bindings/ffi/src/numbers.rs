//! Numbers at the API: Swift and Kotlin see signed integers (`Int32`/`Int64`, `Int`/`Long`), the
//! core keeps its unsigned types and `Duration`s. The checked conversions between them live here:
//! a negative input is refused with a typed error, an output too large saturates.

use std::time::Duration;

use finconn_core::error::FinConnError;

/// A number of the configuration as the core's unsigned type: a negative one is the app's mistake,
/// refused as `InvalidConfiguration` naming the field (never wrapped round, never a panic).
pub(crate) fn unsigned<T: TryFrom<i64>>(field: &str, value: i64) -> Result<T, FinConnError> {
    T::try_from(value).map_err(|_| {
        FinConnError::invalid_configuration(format_args!(
            "{field} is {value}: it must not be negative"
        ))
    })
}

pub(crate) fn millis(field: &str, value: i64) -> Result<Duration, FinConnError> {
    unsigned(field, value).map(Duration::from_millis)
}

/// The core's milliseconds as the API's (a duration too long for an `i64` of milliseconds, which
/// no configuration holds, saturates).
pub(crate) fn as_millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
