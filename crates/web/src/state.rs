//! What every handler shares.

use std::sync::Arc;

use chiso_store::Db;
use chiso_store::evidence::BlobStore;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Where evidence files' bytes live (local disk under `data_dir`; S3 can implement the
    /// same trait).
    pub blobs: Arc<dyn BlobStore>,
}
