//! Admin-configured synonym groups (保洁/清洁/打扫, 维修/修理), applied when a query is
//! planned rather than when documents are indexed, so a change takes effect on the next search
//! without reindexing.

use std::collections::HashMap;

use crate::{SearchError, analysis::normalise};

/// Most groups an admin may configure.
pub const MAX_GROUPS: usize = 2_000;
/// Most words in one group.
pub const MAX_GROUP_WORDS: usize = 32;
/// Longest synonym, in characters.
pub const MAX_WORD_CHARS: usize = 20;

/// Prepared synonym groups: every word normalised like query text (full-width folded,
/// lowercased, spaces removed), blank and repeated words dropped, groups left with fewer than
/// two words dropped. A word in several groups is a synonym of every word in all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
    by_word: HashMap<String, Vec<usize>>,
}

impl Synonyms {
    /// Prepares groups as an admin typed them; refuses more than [`MAX_GROUPS`] groups,
    /// [`MAX_GROUP_WORDS`] words in a group, or a word over [`MAX_WORD_CHARS`] characters.
    pub fn new(groups: Vec<Vec<String>>) -> Result<Self, SearchError> {
        if groups.len() > MAX_GROUPS {
            return Err(SearchError::InvalidSynonyms(format!(
                "at most {MAX_GROUPS} groups"
            )));
        }
        let mut prepared: Vec<Vec<String>> = Vec::new();
        for group in groups {
            if group.len() > MAX_GROUP_WORDS {
                return Err(SearchError::InvalidSynonyms(format!(
                    "at most {MAX_GROUP_WORDS} words in a group"
                )));
            }
            let mut words: Vec<String> = Vec::new();
            for word in group {
                let word: String = normalise(&word)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if word.chars().count() > MAX_WORD_CHARS {
                    return Err(SearchError::InvalidSynonyms(format!(
                        "{word:?} is longer than {MAX_WORD_CHARS} characters"
                    )));
                }
                if !word.is_empty() && !words.contains(&word) {
                    words.push(word);
                }
            }
            if words.len() >= 2 {
                prepared.push(words);
            }
        }
        let mut by_word: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, group) in prepared.iter().enumerate() {
            for word in group {
                by_word.entry(word.clone()).or_default().push(i);
            }
        }
        Ok(Self {
            groups: prepared,
            by_word,
        })
    }

    /// The prepared groups (what is persisted and what an admin page can show).
    pub fn groups(&self) -> &[Vec<String>] {
        &self.groups
    }

    /// Whether no group is configured.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The synonyms of a normalised word, without the word itself, in group order; `None` when
    /// the word is in no group.
    pub fn of(&self, word: &str) -> Option<Vec<&str>> {
        let groups = self.by_word.get(word)?;
        let mut out: Vec<&str> = Vec::new();
        for &g in groups {
            for w in &self.groups[g] {
                if w != word && !out.contains(&w.as_str()) {
                    out.push(w);
                }
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(g: &[&[&str]]) -> Vec<Vec<String>> {
        g.iter()
            .map(|g| g.iter().map(|w| (*w).to_owned()).collect())
            .collect()
    }

    #[test]
    fn groups_are_normalised_and_words_in_two_groups_join_both() {
        let s = Synonyms::new(groups(&[
            &["保洁", "清洁", " 打 扫 ", "保洁"],
            &["维修", "修理"],
            &["ＷＩＦＩ", "无线网"],
            &["孤单"],
            &["清洁", "洗刷"],
        ]))
        .unwrap();
        assert_eq!(s.groups().len(), 4);
        assert_eq!(s.of("打扫"), Some(vec!["保洁", "清洁"]));
        assert_eq!(s.of("清洁"), Some(vec!["保洁", "打扫", "洗刷"]));
        assert_eq!(s.of("wifi"), Some(vec!["无线网"]));
        assert_eq!(s.of("孤单"), None);
    }

    #[test]
    fn oversized_configuration_is_refused() {
        assert!(Synonyms::new(groups(&[&["保洁", &"长".repeat(21)]])).is_err());
        assert!(Synonyms::new(vec![vec!["a".to_owned(), "b".to_owned()]; MAX_GROUPS + 1]).is_err());
    }
}
