//! Built frameworks kept between requests. A framework is frozen when the first campaign that
//! uses it opens and never changes again (docs/method.md: a campaign is scored on the version
//! it opened with), so its tree is built from rows once per process, not on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chiso_domain::NodeId;
use chiso_store::frameworks::{self, StoredFramework};
use chiso_store::{Db, StoreError, assessments};

/// A built framework and its node id → tree node map.
pub struct Built {
    pub stored: Arc<StoredFramework>,
    pub node_index: Arc<HashMap<i64, NodeId>>,
}

/// A frozen framework and its node index, by framework (version) id.
type Frozen = HashMap<i64, (Arc<StoredFramework>, Arc<HashMap<i64, NodeId>>)>;

/// The frozen frameworks of this process, by framework (version) id.
#[derive(Clone, Default)]
pub struct FrameworkCache {
    frozen: Arc<Mutex<Frozen>>,
}

impl FrameworkCache {
    /// The framework, read and built on first use once frozen; a framework not yet frozen
    /// (still being edited) is read each time.
    pub async fn get(&self, db: &Db, id: i64) -> Result<Built, StoreError> {
        if let Some((stored, node_index)) = self.lock().get(&id) {
            return Ok(Built {
                stored: stored.clone(),
                node_index: node_index.clone(),
            });
        }
        let stored = Arc::new(frameworks::load(db, id).await?);
        let node_index = Arc::new(assessments::node_index(&stored));
        if stored.row.frozen {
            self.lock().insert(id, (stored.clone(), node_index.clone()));
        }
        Ok(Built { stored, node_index })
    }

    /// How many frameworks are kept (for tests).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Frozen> {
        self.frozen.lock().unwrap_or_else(|p| p.into_inner())
    }
}
