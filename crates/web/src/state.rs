//! What every handler shares.

use std::sync::Arc;

use chiso_store::Db;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
}
