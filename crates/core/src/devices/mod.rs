//! Device identity: publishable keys, the signal document a browser or app
//! sends to `POST /v1/devices`, the device ids phoneguard issues and the
//! signed device tokens risk events carry.

mod model;
mod port;
mod service;
mod signals;
mod token;

pub use model::{Device, DeviceError, DeviceIssued, DeviceSignals, PublishableKey, SignalDoc};
pub use port::DeviceStore;
pub use service::{DeviceService, MATCH_WINDOW_DAYS, MIN_MATCH_SCORE};
pub use signals::{MAX_DOC_BYTES, fingerprint_score};
pub use token::{DeviceClaims, TOKEN_TTL_S};
