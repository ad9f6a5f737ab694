//! Texts in zh-CN (default) and English, loaded from the TOML files in `locales/` compiled into
//! the binary. A missing key renders as the key itself and a test keeps both files in step.

use std::collections::HashMap;

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文 (default).
    ZhCn,
    /// English.
    En,
}

impl Lang {
    /// From a cookie or query value; anything unknown is the default.
    pub fn from_code(code: &str) -> Self {
        if code.eq_ignore_ascii_case("en") {
            Self::En
        } else {
            Self::ZhCn
        }
    }
    /// BCP-47 tag.
    pub fn code(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }
}

/// Both languages' texts.
#[derive(Debug)]
pub struct I18n {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

/// The raw locale files.
pub const ZH_CN: &str = include_str!("../locales/zh-CN.toml");
/// The raw English file.
pub const EN: &str = include_str!("../locales/en.toml");

/// Flattens `[section] key = "v"` into `section.key`.
pub fn flatten(src: &str) -> HashMap<String, String> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut HashMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_owned(), s.clone());
            }
            other => {
                out.insert(prefix.to_owned(), format!("{other:?}"));
            }
        }
    }
    let mut out = HashMap::new();
    match src.parse::<toml::Table>() {
        Ok(t) => walk("", &toml::Value::Table(t), &mut out),
        Err(e) => tracing::error!(error = %e, "locale file does not parse"),
    }
    out
}

impl I18n {
    /// Loads the compiled-in locale files.
    pub fn load() -> Self {
        Self {
            zh: flatten(ZH_CN),
            en: flatten(EN),
        }
    }

    /// The text of `key` in `lang` (falls back to Chinese, then to the key).
    pub fn t<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        let table = if lang == Lang::En { &self.en } else { &self.zh };
        table
            .get(key)
            .or_else(|| self.zh.get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// Whether a key exists.
    pub fn has(&self, key: &str) -> bool {
        self.zh.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let (zh, en) = (flatten(ZH_CN), flatten(EN));
        assert!(zh.len() > 50, "zh-CN locale parsed: {}", zh.len());
        let mut only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        let mut only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        only_zh.sort();
        only_en.sort();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "only in zh-CN: {only_zh:?}; only in en: {only_en:?}"
        );
    }

    #[test]
    fn templates_only_use_keys_that_exist() {
        let zh = flatten(ZH_CN);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if !zh.contains_key(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "missing locale keys: {missing:#?}");
    }
}
