//! The monitoring pages' domain: admin sessions, the read-only queries behind
//! the pages ([`DashboardStore`]). Its `[dashboard]` settings live with the
//! pages, in `phoneguard-server`.

mod model;
mod port;

pub use model::{
    CallPoint, CarrierConversion, ChannelFunnel, DashboardSession, HashCount, RiskPoint,
    SupplierFunnel,
};
pub use port::DashboardStore;
