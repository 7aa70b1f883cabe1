//! The documents section: how large an upload may be and where documents are kept.

use super::reader::Reader;

/// Document settings, as the `Settings` fields of the same names.
pub(super) struct Documents {
    pub(super) document_max_bytes: usize,
    pub(super) storage_url: Option<String>,
}

/// Reads the section; `STORAGE_URL` must be `s3://bucket` or `s3://bucket/prefix`.
pub(super) fn read(r: &mut Reader) -> Documents {
    Documents {
        document_max_bytes: r.with_default("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024),
        storage_url: r.parsed("STORAGE_URL", |url| {
            if url.starts_with("s3://") {
                Ok(url.trim().to_owned())
            } else {
                Err(format!("{url:?}: use s3://bucket or s3://bucket/prefix"))
            }
        }),
    }
}
