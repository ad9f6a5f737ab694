//! Text for PostgreSQL full-text search, built in Rust so PostgreSQL never segments anything:
//! a document's jieba tokens become a `tsvector` literal (each searched field with its own
//! weight), and a [`TextPlan`] becomes two `tsquery` literals, one that decides the match and
//! one that ranks. Both are cast with `::tsvector` / `::tsquery`, which take lexemes exactly as
//! given (no text search configuration, no stemming, no stop words).

use std::collections::BTreeMap;

use crate::{
    analysis::Analyzer,
    model::SearchDoc,
    plan::{Alternative, Clause, TextPlan},
};

/// Largest position a `tsvector` keeps (PostgreSQL's `MAXENTRYPOS - 1`).
const MAX_POSITION: usize = 16_383;
/// Most positions PostgreSQL keeps for one lexeme (`MAXNUMPOS`).
const MAX_POSITIONS_PER_LEXEME: usize = 256;

/// `ts_rank` weights for `{D, C, B, A}`: title (A) 1.0, category name (B) 0.67, description
/// (C) and provider name (D) 0.33, the same 3 : 2 : 1 : 1 as the embedded index's boosts.
pub(crate) const RANK_WEIGHTS: &str = "{0.33, 0.33, 0.67, 1.0}";

/// The document's searched fields as a `tsvector` literal: title A, category name B,
/// description C, provider name D; positions run on across fields.
pub(crate) fn tsvector(analyzer: &Analyzer, doc: &SearchDoc) -> String {
    let mut lexemes: BTreeMap<String, Vec<(usize, char)>> = BTreeMap::new();
    let mut position = 0;
    for (text, weight) in [
        (&doc.title, 'A'),
        (&doc.category_name, 'B'),
        (&doc.description, 'C'),
        (&doc.provider_name, 'D'),
    ] {
        for token in analyzer.index_tokens(text) {
            position = (position + 1).min(MAX_POSITION);
            let at = lexemes.entry(token.text).or_default();
            if at.len() < MAX_POSITIONS_PER_LEXEME {
                at.push((position, weight));
            }
        }
    }
    let mut out = String::new();
    for (lexeme, positions) in lexemes {
        if !out.is_empty() {
            out.push(' ');
        }
        quote(&mut out, &lexeme);
        out.push(':');
        for (i, (pos, weight)) in positions.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&pos.to_string());
            out.push(*weight);
        }
    }
    out
}

/// The `tsquery` a document must match: every required clause; `None` for an empty plan.
/// Optional clauses do not filter (they only rank, see [`rank_query`]).
pub(crate) fn match_query(plan: &TextPlan) -> Option<String> {
    if plan.required.is_empty() {
        return None;
    }
    let clauses: Vec<String> = plan.required.iter().map(clause).collect();
    Some(clauses.join(" & "))
}

/// The `tsquery` that ranks: any term of any clause (words and their parts), so a document
/// scores for each one it has, weighted by field.
pub(crate) fn rank_query(plan: &TextPlan) -> Option<String> {
    let terms = plan.terms();
    if terms.is_empty() {
        return None;
    }
    let mut out = String::new();
    for term in terms {
        if !out.is_empty() {
            out.push_str(" | ");
        }
        quote(&mut out, &term);
    }
    Some(out)
}

fn clause(c: &Clause) -> String {
    let alternatives: Vec<String> = c.alternatives.iter().map(alternative).collect();
    format!("( {} )", alternatives.join(" | "))
}

/// The word as a whole token, or all of its parts.
fn alternative(a: &Alternative) -> String {
    let mut out = String::new();
    quote(&mut out, &a.word);
    if !a.parts.is_empty() {
        let parts: Vec<String> = a
            .parts
            .iter()
            .map(|p| {
                let mut s = String::new();
                quote(&mut s, p);
                s
            })
            .collect();
        out = format!("{out} | ( {} )", parts.join(" & "));
    }
    out
}

/// Appends a quoted lexeme: `'…'` with `'` doubled and `\` escaped, as both `tsvector` and
/// `tsquery` input read it.
fn quote(out: &mut String, lexeme: &str) {
    out.push('\'');
    for c in lexeme.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synonyms::Synonyms;

    #[test]
    fn lexemes_are_quoted_and_weighted_by_field() {
        let a = Analyzer::new();
        let doc = SearchDoc {
            id: "x".into(),
            provider_id: String::new(),
            title: "专业保洁".into(),
            description: "o'neil \\ 保洁".into(),
            category: String::new(),
            parent_category: String::new(),
            category_name: "日常保洁".into(),
            provider_name: String::new(),
            price_fen: 0,
            rating_x10: 0,
            sales: 0,
            districts: vec![],
            radius_zones: vec![],
            base_lat_micro: 0,
            base_lng_micro: 0,
            updated_at: 0,
        };
        let v = tsvector(&a, &doc);
        assert!(v.contains("'保洁':2A,"), "{v}");
        assert!(v.contains('B') && v.contains('C'), "{v}");
        assert!(!v.contains("'\\'"), "a lone backslash is not a word: {v}");
        let mut s = String::new();
        quote(&mut s, "o'n\\");
        assert_eq!(s, "'o''n\\\\'");
    }

    #[test]
    fn plans_become_queries() {
        let a = Analyzer::new();
        let syn = Synonyms::new(vec![vec!["维修".into(), "修理".into()]]).unwrap_or_default();
        let plan = TextPlan::build(&a, &syn, "修空调");
        assert_eq!(match_query(&plan).as_deref(), Some("( '空调' )"));
        let rank = rank_query(&plan).unwrap_or_default();
        assert!(rank.contains("'修'") && rank.contains("'空调'"), "{rank}");
        let plan = TextPlan::build(&a, &syn, "空调维修");
        let q = match_query(&plan).unwrap_or_default();
        assert!(q.contains("'维修' | '修理'"), "{q}");
        assert_eq!(match_query(&TextPlan::default()), None);
    }
}
