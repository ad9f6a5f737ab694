//! Reading a listing form from `multipart/form-data` (the provider console's page form):
//! fields, option and checklist lines, and up to nine photos.

use axum::extract::Multipart;
use linli_app::{AppError, listings::ListingForm};
use linli_domain::listing::{parse_option_lines, parse_sop_lines};

/// Largest listing upload: nine photos at the photo limit would be 90 MB, more than anyone
/// sends from a phone; the form takes up to 40 MB per request (add more photos in later edits).
pub const LISTING_LIMIT: usize = 40 * 1024 * 1024;

/// What the form asked for.
pub struct ListingSubmission {
    /// The fields.
    pub form: ListingForm,
    /// New photos.
    pub photos: Vec<Vec<u8>>,
    /// `publish` or `save`.
    pub action: String,
}

/// Parses the multipart body.
pub async fn read(mut mp: Multipart) -> Result<ListingSubmission, AppError> {
    let mut form = ListingForm {
        min_units: 1,
        ..ListingForm::default()
    };
    let mut photos = Vec::new();
    let mut action = String::from("save");
    let (mut variants, mut addons, mut sop) = (String::new(), String::new(), String::new());
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return Err(AppError::BadUpload(
                    "the upload is too large or the form could not be read",
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photos" {
            let bytes = field.bytes().await.map_err(|_| {
                AppError::BadUpload("the upload is too large (max 10 MB per photo)")
            })?;
            if !bytes.is_empty() {
                photos.push(bytes.to_vec());
            }
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|_| AppError::BadUpload("the form could not be read"))?;
        match name.as_str() {
            "category" => form.category = text,
            "title" => form.title = text,
            "description" => form.description = text,
            "unit" => form.unit = text,
            "price" => form.price = text,
            "min_units" => {
                form.min_units = text
                    .trim()
                    .parse()
                    .map_err(|_| linli_domain::DomainError::Invalid("minimum units"))?
            }
            "minutes" => {
                form.minutes = text
                    .trim()
                    .parse()
                    .map_err(|_| linli_domain::DomainError::Invalid("duration"))?
            }
            "variants" => variants = text,
            "addons" => addons = text,
            "sop" => sop = text,
            "action" => action = text,
            "cancel_policy" => form.cancel_policy = Some(text),
            "instant_book" => form.instant_book = text == "1" || text == "on",
            other => {
                // Category attributes arrive as `attr:<name>`.
                if let Some(attr) = other.strip_prefix("attr:") {
                    form.attributes.push((attr.to_owned(), text));
                }
            }
        }
    }
    form.options = parse_option_lines("variant", &variants)?;
    form.options.extend(parse_option_lines("addon", &addons)?);
    form.sop = parse_sop_lines(&sop);
    Ok(ListingSubmission {
        form,
        photos,
        action,
    })
}
