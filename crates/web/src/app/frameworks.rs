//! Built frameworks kept between requests. A framework is frozen when the first campaign that
//! uses it opens and never changes again (docs/method.md: a campaign is scored on the version
//! it opened with), so its tree is built from rows once per process, not on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chiso_domain::NodeId;
use chiso_store::frameworks::{self, StoredFramework};
use chiso_store::{Db, StoreError, assessments};

/// A built framework and its node id → tree node map.
#[derive(Clone)]
pub struct Built {
    pub stored: Arc<StoredFramework>,
    pub node_index: Arc<HashMap<i64, NodeId>>,
}

/// The frozen frameworks of this process, by framework (version) id.
#[derive(Clone, Default)]
pub struct FrameworkCache {
    frozen: Arc<Mutex<HashMap<i64, Built>>>,
}

impl FrameworkCache {
    /// The framework, read and built on first use once frozen; a framework not yet frozen
    /// (still being edited) is read each time.
    pub async fn get(&self, db: &Db, id: i64) -> Result<Built, StoreError> {
        if let Some(built) = self.lock().get(&id) {
            return Ok(built.clone());
        }
        let stored = Arc::new(frameworks::load(db, id).await?);
        let node_index = Arc::new(assessments::node_index(&stored));
        let built = Built { stored, node_index };
        if built.stored.row.frozen {
            self.lock().insert(id, built.clone());
        }
        Ok(built)
    }

    /// How many frameworks are kept (for tests).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Built>> {
        self.frozen.lock().unwrap_or_else(|p| p.into_inner())
    }
}
