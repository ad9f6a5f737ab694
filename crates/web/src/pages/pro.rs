//! The provider console (`/pro`). Onboarding and listings arrive with the catalogue issue;
//! today it is the console shell every provider page will live in.

use askama::Template;
use axum::response::Response;

use super::{Page, render};
use crate::access::{Access, Routes};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/pro", Access::Member, dashboard)
}

#[derive(Template)]
#[template(path = "pro_home.html")]
struct Dashboard {
    p: Page,
}

async fn dashboard(p: Page) -> Response {
    render(&Dashboard { p })
}
