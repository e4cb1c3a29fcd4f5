//! Integration tests of finconn-testkit, in one binary (one link on a slow machine): the backend
//! contract, account data, the in-memory Stripe's `/v1`, `HttpStripe`, faults on the wire, the
//! sheet, `serve`.

mod account_data;
mod backend;
mod common;
mod faults;
mod http_stripe;
mod serve;
mod sheet;
mod stripe_api;
