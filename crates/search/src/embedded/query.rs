//! A [`TextPlan`] as a tantivy query: required clauses are `Must`, optional ones `Should`; a
//! clause is a disjunction of its alternatives; an alternative is "the word, or all of its
//! parts"; every term is looked up in each searched field with that field's boost. No text
//! means every document.

use tantivy::{
    Term,
    query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query, TermQuery},
    schema::IndexRecordOption,
};

use super::schema::{Fields, searched};
use crate::plan::{Alternative, Clause, TextPlan};

/// The query for a plan.
pub(crate) fn build(fields: &Fields, plan: &TextPlan) -> Box<dyn Query> {
    if plan.is_empty() {
        return Box::new(AllQuery);
    }
    let required = plan
        .required
        .iter()
        .map(|c| (Occur::Must, clause(fields, c)));
    let optional = plan
        .optional
        .iter()
        .map(|c| (Occur::Should, clause(fields, c)));
    Box::new(BooleanQuery::new(required.chain(optional).collect()))
}

fn clause(fields: &Fields, clause: &Clause) -> Box<dyn Query> {
    any(clause
        .alternatives
        .iter()
        .map(|a| alternative(fields, a))
        .collect())
}

fn alternative(fields: &Fields, alt: &Alternative) -> Box<dyn Query> {
    let whole = word(fields, &alt.word);
    if alt.parts.is_empty() {
        return whole;
    }
    let parts = BooleanQuery::new(
        alt.parts
            .iter()
            .map(|p| (Occur::Must, word(fields, p)))
            .collect(),
    );
    any(vec![whole, Box::new(parts)])
}

/// The token in any searched field, each field weighted by its boost.
fn word(fields: &Fields, token: &str) -> Box<dyn Query> {
    any(searched(fields)
        .into_iter()
        .map(|(field, boost)| {
            let term = TermQuery::new(
                Term::from_field_text(field, token),
                IndexRecordOption::WithFreqs,
            );
            Box::new(BoostQuery::new(Box::new(term), boost)) as Box<dyn Query>
        })
        .collect())
}

/// A disjunction (one subquery is returned as it is).
fn any(mut queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1
        && let Some(q) = queries.pop()
    {
        return q;
    }
    Box::new(BooleanQuery::new(
        queries.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}
