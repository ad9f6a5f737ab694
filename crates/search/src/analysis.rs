//! Text analysis shared by every backend: normalisation and jieba word segmentation.
//!
//! Text is normalised before it is segmented, so `ＴＣＬ空调` and `tcl空调` index alike:
//! full-width ASCII (U+FF01–U+FF5E) becomes half-width, the ideographic space a space, and
//! letters are lowercased. Documents are cut in jieba's *search mode*, which emits a long word
//! and its dictionary sub-words (空调清洗 → 空调, 清洗, 空调清洗), so both a short and a long
//! query find it; queries are cut in the precise mode (see [`crate::plan`]). Tokens that hold
//! no letter, digit or ideograph (spaces, punctuation) are dropped. Token offsets point into
//! the original, un-normalised text so highlights land on what the user wrote.

use std::sync::Arc;

use jieba_rs::Jieba;

/// Tokens longer than this (bytes) are dropped: nobody searches for them and tantivy refuses
/// terms over 64 KiB.
const MAX_TOKEN_BYTES: usize = 120;

/// A segmented word with its place in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedToken {
    /// The normalised word.
    pub text: String,
    /// Byte offset of the word's start in the original text.
    pub start: usize,
    /// Byte offset just past the word in the original text.
    pub end: usize,
}

/// Normaliser and segmenter. Cloning is cheap (the dictionary is shared); building one loads
/// jieba's dictionary, which takes a noticeable fraction of a second, so build it once per
/// process and share it.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").finish_non_exhaustive()
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// Loads jieba's built-in dictionary.
    pub fn new() -> Self {
        Self {
            jieba: Arc::new(Jieba::new()),
        }
    }

    /// The tokens a document's text is indexed under (search mode), in text order.
    pub fn index_tokens(&self, text: &str) -> Vec<AnalyzedToken> {
        let norm = Normalised::new(text);
        self.jieba
            .cut_for_search(&norm.text, true)
            .into_iter()
            .filter(|t| keep(t.word))
            .map(|t| AnalyzedToken {
                text: t.word.to_owned(),
                start: norm.original_offset(t.byte_start),
                end: norm.original_offset(t.byte_end),
            })
            .collect()
    }

    /// The words of a query (precise mode), normalised, without punctuation or spaces.
    pub fn query_words(&self, text: &str) -> Vec<String> {
        let norm = normalise(text);
        self.jieba
            .cut(&norm, true)
            .into_iter()
            .filter(|t| keep(t.word))
            .map(|t| t.word.to_owned())
            .collect()
    }

    /// The index tokens of one (normalised) word other than the word itself: the parts a
    /// document must all contain to match the word when the document was cut differently.
    pub fn word_parts(&self, word: &str) -> Vec<String> {
        let mut parts: Vec<String> = Vec::new();
        for t in self.index_tokens(word) {
            if t.text != word && !parts.contains(&t.text) {
                parts.push(t.text);
            }
        }
        parts
    }
}

fn keep(word: &str) -> bool {
    word.len() <= MAX_TOKEN_BYTES && word.chars().any(char::is_alphanumeric)
}

/// Folds one character: full-width ASCII to half-width, the ideographic space to a space.
fn fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// The normalised form of `text` (full-width folded, lowercased).
pub fn normalise(text: &str) -> String {
    text.chars()
        .map(fold)
        .flat_map(char::to_lowercase)
        .collect()
}

/// Normalised text with, for every byte of it, the offset of the original character it came
/// from (plus one entry for the end), so token offsets can be mapped back.
struct Normalised {
    text: String,
    origin: Vec<usize>,
}

impl Normalised {
    fn new(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len() + 1);
        for (at, c) in original.char_indices() {
            for lower in fold(c).to_lowercase() {
                let before = text.len();
                text.push(lower);
                origin.resize(origin.len() + (text.len() - before), at);
            }
        }
        origin.push(original.len());
        Self { text, origin }
    }

    fn original_offset(&self, normalised: usize) -> usize {
        self.origin
            .get(normalised)
            .or(self.origin.last())
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_case_are_folded() {
        assert_eq!(normalise("ＴＣＬ　空调Ａ１"), "tcl 空调a1");
    }

    #[test]
    fn search_mode_offers_the_long_word_and_its_parts_with_original_offsets() {
        let a = Analyzer::new();
        let text = "ＴＣＬ空调清洗，上门服务";
        let tokens = a.index_tokens(text);
        let words: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
        assert!(words.contains(&"tcl"), "{words:?}");
        assert!(words.contains(&"空调"), "{words:?}");
        assert!(words.contains(&"清洗"), "{words:?}");
        assert!(!words.contains(&"，"), "{words:?}");
        for t in &tokens {
            assert_eq!(normalise(&text[t.start..t.end]), t.text, "{t:?}");
        }
    }

    #[test]
    fn queries_are_cut_precisely_and_parts_come_from_search_mode() {
        let a = Analyzer::new();
        assert_eq!(a.query_words("  保洁！"), vec!["保洁"]);
        let parts = a.word_parts("空调清洗");
        assert!(
            parts.is_empty() || parts.contains(&"空调".to_owned()),
            "{parts:?}"
        );
    }
}
