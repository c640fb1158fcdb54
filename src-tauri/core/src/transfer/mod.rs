//! Moving the shop's data in and out as files: imports from CSV and Excel, and exports of
//! lists, reports and messages; and the whole shop between the two engines.

pub mod export;
pub mod import;
pub mod server;
