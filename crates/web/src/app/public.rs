//! The public results (no login; docs/method.md §2.9): only published campaigns, and of them
//! only what the publication says (rankings, indices, classifications, area points), never a
//! draft, a comment, an evidence file or an account. Rendered pages are cached per
//! publication: the cache key carries every published campaign's id and last change, so a
//! new publication (or any change of a published campaign) makes new pages and the old ones
//! are never served again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chiso_domain::campaign::CampaignState;
use chiso_store::campaigns::{self, CampaignRow};
use chiso_store::{Db, StoreError};

/// The authority's logo, read once at start.
#[derive(Clone, Debug)]
pub struct Logo {
    pub bytes: Arc<Vec<u8>>,
    pub content_type: &'static str,
}

/// Largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

impl Logo {
    /// Reads and checks a logo file: PNG, JPEG or SVG by its content, at most 512 KiB.
    pub fn read(path: &Path) -> anyhow::Result<Logo> {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("authority_logo {}: {e}", path.display()))?;
        if bytes.len() > MAX_LOGO_BYTES {
            anyhow::bail!(
                "authority_logo {}: {} bytes, at most {MAX_LOGO_BYTES}",
                path.display(),
                bytes.len()
            );
        }
        let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "image/jpeg"
        } else if std::str::from_utf8(&bytes).is_ok_and(|t| t.contains("<svg")) {
            "image/svg+xml"
        } else {
            anyhow::bail!(
                "authority_logo {}: not a PNG, JPEG or SVG image",
                path.display()
            );
        };
        Ok(Logo {
            bytes: Arc::new(bytes),
            content_type,
        })
    }
}

/// Rendered public pages by address and language, each with the publication state it was
/// rendered from.
#[derive(Clone, Default)]
pub struct PublicCache {
    pages: Arc<Mutex<Pages>>,
}

/// A rendered page, as HTML and gzip-compressed once (most browsers ask for gzip: the page
/// is not compressed again for each of them).
pub struct CachedPage {
    pub html: Arc<String>,
    pub gzip: Arc<Vec<u8>>,
}

/// Pages by key, each with the version it was rendered at.
type Pages = HashMap<String, (String, Arc<CachedPage>)>;

/// Most pages kept; past it the cache starts again (pages are cheap to render once).
const MAX_PAGES: usize = 2_000;

fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(text.as_bytes())
        .and_then(|()| encoder.finish())
        .expect("compressing into memory does not fail")
}

impl PublicCache {
    /// The page for `key` rendered at `version`, if cached.
    pub fn get(&self, key: &str, version: &str) -> Option<Arc<CachedPage>> {
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages
            .get(key)
            .filter(|(v, _)| v == version)
            .map(|(_, page)| page.clone())
    }

    pub fn put(&self, key: String, version: String, html: String) -> Arc<CachedPage> {
        let page = Arc::new(CachedPage {
            gzip: Arc::new(gzip(&html)),
            html: Arc::new(html),
        });
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if pages.len() >= MAX_PAGES {
            pages.clear();
        }
        pages.insert(key, (version, page.clone()));
        page
    }
}

/// The published campaigns, newest first, and the version of the publication state: every
/// published campaign's id and last change.
pub async fn published(db: &Db) -> Result<(Vec<CampaignRow>, String), StoreError> {
    let published: Vec<CampaignRow> = campaigns::list(db)
        .await?
        .into_iter()
        .filter(|c| c.state() == CampaignState::Published)
        .collect();
    let version = published
        .iter()
        .map(|c| format!("{}@{}", c.id, c.updated_at.timestamp_micros()))
        .collect::<Vec<_>>()
        .join(",");
    Ok((published, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logo_is_checked_by_its_content() {
        let dir = std::env::temp_dir().join(format!("chiso-logo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let png = dir.join("logo.png");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n rest").unwrap();
        assert_eq!(Logo::read(&png).unwrap().content_type, "image/png");
        let svg = dir.join("logo.svg");
        std::fs::write(
            &svg,
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .unwrap();
        assert_eq!(Logo::read(&svg).unwrap().content_type, "image/svg+xml");
        let text = dir.join("logo.png.exe");
        std::fs::write(&text, b"MZ not an image").unwrap();
        assert!(Logo::read(&text).is_err());
        let big = dir.join("big.png");
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.resize(MAX_LOGO_BYTES + 1, 0);
        std::fs::write(&big, bytes).unwrap();
        assert!(Logo::read(&big).is_err());
        assert!(Logo::read(&dir.join("missing.png")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_page_is_served_again_only_for_its_publication() {
        let cache = PublicCache::default();
        cache.put("vi:/cong-khai/1".into(), "1@5".into(), "trang".into());
        let page = cache.get("vi:/cong-khai/1", "1@5").unwrap();
        assert_eq!(page.html.as_str(), "trang");
        let mut unzipped = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(page.gzip.as_slice()),
            &mut unzipped,
        )
        .unwrap();
        assert_eq!(unzipped, "trang");
        assert!(cache.get("vi:/cong-khai/1", "1@5,2@7").is_none());
        assert!(cache.get("en:/cong-khai/1", "1@5").is_none());
    }
}
