//! The fixed query mix both search sides run, each query spelled twice: as the
//! [`SearchQuery`] `App::search` hands the engine for that request, and as the
//! `GET /api/v1/search?…` path a client sends.

use linli_app::search::SearchForm;
use linli_search::{SearchQuery, Sort};

/// Hits per page of the endpoint (`App::search` always asks for 20).
pub const PER_PAGE: u32 = 20;

/// One query of the mix.
#[derive(Debug, Clone)]
pub struct Query {
    /// What kind of query it is (ASCII, for the table).
    pub kind: &'static str,
    /// The query string as a reader would type it (for the table).
    pub shown: String,
    /// What the engine is asked.
    pub raw: SearchQuery,
    /// What the endpoint form carries.
    pub form: SearchForm,
    /// The endpoint's path and query string, percent-encoded.
    pub path: String,
}

impl Query {
    fn new(kind: &'static str, text: &str, category: Option<&str>, district: Option<&str>) -> Self {
        let mut path = format!("/api/v1/search?q={}", urlencode(text));
        let mut shown = format!("q={text}");
        for (name, value) in [("category", category), ("district", district)] {
            if let Some(v) = value {
                path.push_str(&format!("&{name}={}", urlencode(v)));
                shown.push_str(&format!(" {name}={v}"));
            }
        }
        path.push_str("&page=1");
        // The same conversion `App::search` makes from the form.
        let raw = SearchQuery {
            text: text.trim().to_owned(),
            category: category.map(str::to_owned),
            district: district.map(str::to_owned),
            sort: Sort::Relevance,
            page: 1,
            per_page: PER_PAGE,
            ..SearchQuery::default()
        };
        let form = SearchForm {
            q: text.to_owned(),
            category: category.map(str::to_owned),
            district: district.map(str::to_owned),
            page: Some(1),
            ..SearchForm::default()
        };
        Self {
            kind,
            shown,
            raw,
            form,
            path,
        }
    }
}

/// The mix: three two-character words, a longer phrase (with the filler words 师傅 and 上门
/// the planner drops), a word within a top-level category, a word within a district, and
/// browsing everything with no text.
pub fn mix(district: &str) -> Vec<Query> {
    vec![
        Query::new("word", "保洁", None, None),
        Query::new("word", "空调", None, None),
        Query::new("word", "开锁", None, None),
        Query::new("phrase", "专业空调清洗 师傅上门", None, None),
        Query::new("category", "维修", Some("appliance"), None),
        Query::new("district", "搬家", None, Some(district)),
        Query::new("browse", "", None, None),
    ]
}

/// Percent-encodes a query-string value (everything but RFC 3986's unreserved characters).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_spaces_are_percent_encoded() {
        assert_eq!(urlencode("保洁"), "%E4%BF%9D%E6%B4%81");
        assert_eq!(urlencode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn path_and_engine_query_say_the_same() {
        let q = Query::new("district", "搬家", None, Some("310104"));
        assert_eq!(
            q.path,
            "/api/v1/search?q=%E6%90%AC%E5%AE%B6&district=310104&page=1"
        );
        assert_eq!(q.raw.district.as_deref(), Some("310104"));
        assert_eq!((q.raw.page, q.raw.per_page), (1, PER_PAGE));
        assert!(mix("310104").iter().all(|q| q.raw.validate().is_ok()));
    }
}
