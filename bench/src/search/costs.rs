//! Where the search use cases spend their time outside the engine: the store reads
//! `App::search` makes for every hit (`listing`, then `listing_view`'s `provider` and
//! `categories`) and the reads `App::reindex_all` makes per listing (`search_doc`'s
//! `provider`, `categories`, `service_areas`) and per page (`published_in`, paged by OFFSET).
//!
//! Each call is timed alone, one after another on a quiet machine (after the measured
//! rounds), and the medians are multiplied out. These are estimates that explain the ratios,
//! not figures the goal is judged on.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use linli_domain::ids::ListingId;
use linli_store::Store;

use super::queries::PER_PAGE;
use crate::stats::median_duration;

/// Calls timed per store method.
const CALLS: usize = 200;
/// The page size `App::reindex_all` reads with.
const REINDEX_PAGE: i64 = 500;

/// Median time of each read.
pub struct StoreCosts {
    listing: Duration,
    provider: Duration,
    categories: Duration,
    service_areas: Duration,
    first_page: Duration,
    last_page: Duration,
    docs: usize,
}

async fn median_of<F, Fut, T>(calls: usize, mut call: F) -> Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = linli_store::StoreResult<T>>,
{
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        call().await?;
        times.push(t.elapsed());
    }
    Ok(median_duration(&times))
}

/// Times the reads against `listing` (a hit of the mix) and its provider.
pub async fn measure(store: &dyn Store, listing: &str, docs: usize) -> Result<StoreCosts> {
    let id: ListingId = listing.parse().context("a hit id is not a listing id")?;
    let provider = store
        .listing(id)
        .await?
        .context("a hit's listing is missing")?
        .provider_id;
    let slugs: Vec<String> = store
        .categories()
        .await?
        .into_iter()
        .map(|c| c.slug)
        .collect();
    let last_offset = i64::try_from(docs)
        .unwrap_or(i64::MAX)
        .saturating_sub(REINDEX_PAGE)
        .max(0);
    Ok(StoreCosts {
        listing: median_of(CALLS, || store.listing(id)).await?,
        provider: median_of(CALLS, || store.provider(provider)).await?,
        categories: median_of(CALLS, || store.categories()).await?,
        service_areas: median_of(CALLS, || store.service_areas(provider)).await?,
        first_page: median_of(5, || store.published_in(&slugs, REINDEX_PAGE, 0)).await?,
        last_page: median_of(5, || store.published_in(&slugs, REINDEX_PAGE, last_offset)).await?,
        docs,
    })
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

impl StoreCosts {
    /// Prints the estimate for one page of search and for a full reindex.
    pub fn print(&self) {
        let per_hit = self.listing + self.provider + self.categories;
        let per_page = per_hit * PER_PAGE + self.categories;
        println!(
            "  where the time goes outside the engine (store reads timed alone, median of {CALLS}):"
        );
        println!(
            "    App::search, per hit: listing {:.0} µs + provider {:.0} µs + categories {:.0} µs \
             = {:.0} µs; {PER_PAGE} hits + facet labels = {} reads ≈ {:.1} ms of store time per page",
            us(self.listing),
            us(self.provider),
            us(self.categories),
            us(per_hit),
            3 * PER_PAGE + 1,
            per_page.as_secs_f64() * 1e3
        );
        let docs = u32::try_from(self.docs).unwrap_or(u32::MAX);
        let per_doc = self.provider + self.categories + self.service_areas;
        let pages = self.docs.div_ceil(REINDEX_PAGE as usize);
        let paging = (self.first_page + self.last_page) / 2 * u32::try_from(pages).unwrap_or(0);
        println!(
            "    App::reindex_all, per listing: provider {:.0} µs + categories {:.0} µs + \
             service_areas {:.0} µs ≈ {:.1} s for {} docs; published_in page of {REINDEX_PAGE} at \
             offset 0 {:.0} ms, at the last offset {:.0} ms ≈ {:.1} s for {pages} pages",
            us(self.provider),
            us(self.categories),
            us(self.service_areas),
            (per_doc * docs).as_secs_f64(),
            self.docs,
            self.first_page.as_secs_f64() * 1e3,
            self.last_page.as_secs_f64() * 1e3,
            paging.as_secs_f64()
        );
    }
}
