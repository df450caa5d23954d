//! The monitoring pages' domain: admin sessions, the read-only queries behind
//! the pages ([`DashboardStore`]) and `[dashboard]` of the configuration.

mod model;
mod port;
mod settings;

pub use model::{
    CallPoint, CarrierConversion, ChannelFunnel, DashboardSession, HashCount, RiskPoint,
    SupplierFunnel,
};
pub use port::DashboardStore;
pub use settings::DashboardConfig;
