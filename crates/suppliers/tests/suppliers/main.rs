//! Adapter tests against local fakes of each wire format, router tests against
//! scripted suppliers, and property tests of the circuit breaker.

mod aliyun;
mod breaker;
mod carrier;
mod fakes;
mod http;
mod registry;
mod router;
