//! Reading a provider application from `multipart/form-data` (pages and API share it): text
//! fields, repeated `categories`/`districts`, and up to two document photos with their expiry
//! dates. Empty file inputs (nothing chosen) are skipped.

use axum::extract::Multipart;
use linli_app::{
    AppError,
    providers::{ApplicationForm, DocumentUpload},
};

/// Largest application upload: two photos at the photo limit plus the form fields.
pub const APPLICATION_LIMIT: usize = 2 * linli_app::files::PHOTO.max_bytes + 256 * 1024;

/// Parses the multipart body.
pub async fn read(mut form: Multipart) -> Result<(ApplicationForm, Vec<DocumentUpload>), AppError> {
    let mut f = ApplicationForm::default();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut expiry: Vec<(String, String)> = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::BadUpload(
                    "the upload is too large (max 10 MB per photo)",
                ));
            }
            Err(_) => return Err(AppError::BadUpload("the form could not be read")),
        };
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "licence" | "qualification" => {
                let bytes = field.bytes().await.map_err(|_| {
                    AppError::BadUpload("the upload is too large (max 10 MB per photo)")
                })?;
                if !bytes.is_empty() {
                    files.push((name, bytes.to_vec()));
                }
            }
            _ => {
                let text = field
                    .text()
                    .await
                    .map_err(|_| AppError::BadUpload("the form could not be read"))?;
                match name.as_str() {
                    "kind" => f.kind = text,
                    "display_name" => f.display_name = text,
                    "real_name" => f.real_name = text,
                    "id_number" => f.id_number = text,
                    "intro" => f.intro = text,
                    "categories" => f.categories.push(text),
                    "districts" => f.districts.push(text),
                    "licence_expires_on" => expiry.push(("licence".into(), text)),
                    "qualification_expires_on" => expiry.push(("qualification".into(), text)),
                    // CSRF token and unknown fields: ignored here.
                    _ => {}
                }
            }
        }
    }
    let uploads = files
        .into_iter()
        .map(|(kind, bytes)| {
            let expires_on = expiry
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            DocumentUpload {
                kind,
                expires_on,
                bytes,
            }
        })
        .collect();
    Ok((f, uploads))
}
