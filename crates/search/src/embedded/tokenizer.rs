//! The jieba tokenizer registered with tantivy for every text field: a thin adapter over
//! [`Analyzer::index_tokens`], so tantivy indexes exactly what highlighting and query planning
//! expect.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::analysis::Analyzer;

/// Name the tokenizer is registered under (also recorded in the schema).
pub(crate) const NAME: &str = "linli_jieba";

/// Tantivy [`Tokenizer`] over the shared [`Analyzer`].
#[derive(Clone)]
pub(crate) struct JiebaTokenizer {
    analyzer: Analyzer,
}

impl JiebaTokenizer {
    pub(crate) fn new(analyzer: Analyzer) -> Self {
        Self { analyzer }
    }
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let tokens = self
            .analyzer
            .index_tokens(text)
            .into_iter()
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.start,
                offset_to: t.end,
                position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        VecTokenStream {
            tokens,
            next: 0,
            none: Token::default(),
        }
    }
}

/// Tokens computed up front (jieba cuts a whole text at once).
pub(crate) struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
    /// Returned by `token()` before the first `advance()`, instead of panicking.
    none: Token,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        self.next
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .unwrap_or(&self.none)
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.next.checked_sub(1) {
            Some(i) if i < self.tokens.len() => &mut self.tokens[i],
            _ => &mut self.none,
        }
    }
}
