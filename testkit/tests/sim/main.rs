//! Integration tests of finconn-testkit, in one binary (one link on a slow machine): the backend
//! contract, the in-memory Stripe's `/v1`, `HttpStripe`, faults on the wire, the sheet, `serve`.

mod backend;
mod common;
mod faults;
mod http_stripe;
mod serve;
mod sheet;
mod stripe_api;
