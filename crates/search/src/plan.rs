//! Turns query text into a backend-neutral [`TextPlan`]: which words must match, their
//! synonyms, and the sub-words that stand in for a word a document was cut differently.
//!
//! The rules, which every backend applies the same way:
//! 1. The text is normalised and cut in jieba's precise mode (空调清洗 上门 → 空调清洗, 上门).
//! 2. Runs of up to [`MAX_SYNONYM_SPAN`] consecutive words that spell a configured synonym
//!    (上门 + 维修 when 上门维修 is one) are joined into one unit, longest run first.
//! 3. Units that do not say which service is wanted (的, 我要, 找, 附近, 上门, 服务, …, and
//!    words made only of those, like 找上门) are dropped, unless they have synonyms or nothing
//!    else is left.
//! 4. Each unit becomes a [`Clause`]; its alternatives are the unit and its synonyms.
//! 5. An alternative matches a document that has the word as a token, or has every one of the
//!    word's search-mode parts (空调清洗 → 空调 + 清洗).
//! 6. Every clause must match, except clauses whose alternatives are all single characters
//!    (修 in 修空调): jieba rarely emits those from documents, so they only add to the score,
//!    unless the query has nothing else.

use std::collections::BTreeSet;

use crate::{analysis::Analyzer, synonyms::Synonyms};

/// Longest run of query words tried against the synonym groups.
pub const MAX_SYNONYM_SPAN: usize = 4;

/// Query words that say nothing about which service is wanted (every service here is 上门,
/// done by a 师傅, and has a 价格).
const STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "和",
    "与",
    "及",
    "或",
    "我",
    "我们",
    "你",
    "您",
    "我要",
    "我想",
    "想要",
    "需要",
    "要",
    "想",
    "找",
    "请",
    "请问",
    "帮",
    "帮我",
    "在",
    "是",
    "有",
    "有没有",
    "一个",
    "一下",
    "附近",
    "哪里",
    "哪家",
    "哪个",
    "怎么",
    "多少",
    "多少钱",
    "价格",
    "服务",
    "上门",
    "师傅",
];

/// The text part of a query. Empty when the text has no searchable word (browse mode).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextPlan {
    /// Clauses a document must match (all of them).
    pub required: Vec<Clause>,
    /// Clauses that only raise the score of documents matching them.
    pub optional: Vec<Clause>,
}

/// One unit of the query: matched when any alternative matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// The query's own word first, then its synonyms.
    pub alternatives: Vec<Alternative>,
}

/// One spelling of a clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    /// The normalised word, matched as a whole token.
    pub word: String,
    /// Search-mode parts of the word; a document having all of them matches too. Empty when
    /// the word is its own only token.
    pub parts: Vec<String>,
}

impl TextPlan {
    /// Plans `text` with the current synonym groups.
    pub fn build(analyzer: &Analyzer, synonyms: &Synonyms, text: &str) -> Self {
        let words = analyzer.query_words(text);
        let mut units: Vec<String> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let (unit, next) = longest_synonym_run(synonyms, &words, i);
            i = next;
            if !units.contains(&unit) {
                units.push(unit);
            }
        }
        // A filler word is a stop word, or a word made only of stop words (jieba cuts 找上门 out
        // of 我要找上门开锁). One an admin gave synonyms to is kept: it means something here.
        let is_stop = |w: &str| STOP_WORDS.contains(&w);
        let meaningful = |u: &String| {
            let parts = analyzer.word_parts(u);
            let filler = is_stop(u) || (!parts.is_empty() && parts.iter().all(|p| is_stop(p)));
            !filler || synonyms.of(u).is_some()
        };
        if units.iter().any(meaningful) {
            units.retain(meaningful);
        }

        let mut plan = TextPlan::default();
        for unit in units {
            let mut spellings = vec![unit.clone()];
            if let Some(syns) = synonyms.of(&unit) {
                spellings.extend(syns.into_iter().map(str::to_owned));
            }
            let clause = Clause {
                alternatives: spellings
                    .into_iter()
                    .map(|word| Alternative {
                        parts: analyzer.word_parts(&word),
                        word,
                    })
                    .collect(),
            };
            if clause.is_single_characters() {
                plan.optional.push(clause);
            } else {
                plan.required.push(clause);
            }
        }
        if plan.required.is_empty() {
            plan.required = std::mem::take(&mut plan.optional);
        }
        plan
    }

    /// Whether the text had no searchable word.
    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.optional.is_empty()
    }

    /// Every token a match can be made of, for highlighting.
    pub fn terms(&self) -> BTreeSet<String> {
        let mut terms = BTreeSet::new();
        for clause in self.required.iter().chain(&self.optional) {
            for alt in &clause.alternatives {
                terms.insert(alt.word.clone());
                terms.extend(alt.parts.iter().cloned());
            }
        }
        terms
    }
}

impl Clause {
    fn is_single_characters(&self) -> bool {
        self.alternatives
            .iter()
            .all(|a| a.word.chars().count() == 1)
    }
}

/// The unit starting at word `i`: the longest run of words that spells a synonym, or the word
/// itself; returns it with the index after it.
fn longest_synonym_run(synonyms: &Synonyms, words: &[String], i: usize) -> (String, usize) {
    if !synonyms.is_empty() {
        let longest = MAX_SYNONYM_SPAN.min(words.len() - i);
        for len in (2..=longest).rev() {
            let joined: String = words[i..i + len].concat();
            if synonyms.of(&joined).is_some() {
                return (joined, i + len);
            }
        }
    }
    (words[i].clone(), i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(plan: &[Clause]) -> Vec<Vec<&str>> {
        plan.iter()
            .map(|c| c.alternatives.iter().map(|a| a.word.as_str()).collect())
            .collect()
    }

    #[test]
    fn synonyms_become_alternatives_and_stop_words_go() {
        let a = Analyzer::new();
        let syn = Synonyms::new(vec![vec!["保洁".into(), "清洁".into(), "打扫".into()]]).unwrap();
        let plan = TextPlan::build(&a, &syn, "我要找打扫");
        assert_eq!(words(&plan.required), vec![vec!["打扫", "保洁", "清洁"]]);
        assert!(plan.terms().contains("清洁"));
        let filler = TextPlan::build(&a, &syn, "我要找上门开锁服务！");
        assert_eq!(words(&filler.required), vec![vec!["开锁"]], "{filler:?}");
    }

    #[test]
    fn a_multi_word_synonym_is_matched_as_one_unit() {
        let a = Analyzer::new();
        let syn = Synonyms::new(vec![vec!["上门维修".into(), "到家修理".into()]]).unwrap();
        let plan = TextPlan::build(&a, &syn, "上门维修");
        assert_eq!(plan.required.len(), 1, "{plan:?}");
        assert_eq!(words(&plan.required)[0], vec!["上门维修", "到家修理"]);
        assert!(!plan.required[0].alternatives[0].parts.is_empty());
    }

    #[test]
    fn single_characters_only_score_unless_alone() {
        let a = Analyzer::new();
        let none = Synonyms::default();
        let plan = TextPlan::build(&a, &none, "修空调");
        assert_eq!(words(&plan.required), vec![vec!["空调"]], "{plan:?}");
        assert_eq!(words(&plan.optional), vec![vec!["修"]]);
        let alone = TextPlan::build(&a, &none, "锁");
        assert_eq!(words(&alone.required), vec![vec!["锁"]]);
        assert!(TextPlan::build(&a, &none, " ，。").is_empty());
        assert_eq!(
            words(&TextPlan::build(&a, &none, "服务").required),
            vec![vec!["服务"]]
        );
    }
}
