//! The JSON API under `/api/v1`, its OpenAPI document (generated from the handlers' annotations)
//! at `/api/v1/openapi.json`, and the docs UI at `/api/docs`.

pub mod admin;
pub mod after_sale;
pub mod areas;
pub mod auth;
pub mod catalog;
pub mod categories;
pub mod complaints;
pub mod deposits;
pub mod discover;
pub mod earnings;
pub mod finance;
pub mod guarantee;
pub mod listings;
pub mod me;
pub mod orders;
pub mod pay;
pub mod providers;
pub mod reviews;
pub mod search;
pub mod supplements;
pub mod visits;

use axum::{
    Json,
    http::header,
    response::{Html, IntoResponse, Response},
};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::access::{Access, Routes};

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Linli API", version = "1", description = "邻里 local-services platform. Errors are `{code, message}`; authenticate with `Authorization: Bearer <access_token>`."),
    paths(
        auth::register, auth::login, auth::send_code, auth::login_sms, auth::refresh, auth::logout,
        me::get_me, me::patch_me, me::change_password, me::put_avatar,
        me::list_addresses, me::create_address, me::get_address, me::update_address, me::delete_address,
        catalog::categories, catalog::districts,
        categories::attributes, categories::add, categories::rename, categories::add_attribute, categories::delete_attribute,
        admin::users, admin::set_status, admin::roles, admin::create_role, admin::set_permissions,
        admin::staff, admin::grant, admin::revoke,
        providers::my_application, providers::apply, providers::profile, providers::document,
        providers::queue, providers::application, providers::review, providers::reveal,
        listings::mine, listings::create, listings::update, listings::add_photo, listings::submit, listings::offline, listings::get,
        listings::queue, listings::review, listings::words, listings::put_word, listings::delete_word,
        areas::mine, areas::add, areas::delete, areas::coverage,
        discover::category, discover::favourites, discover::add_favourite, discover::remove_favourite,
        discover::follows, discover::follow, discover::unfollow,
        orders::schedule, orders::put_schedule, orders::provider_orders, orders::accept, orders::decline,
        orders::slots, orders::my_orders, orders::place, orders::get, orders::cancel_preview, orders::cancel,
        orders::reschedule, orders::no_show, orders::simulate_pay, orders::advance_clock,
        pay::pay, pay::confirm, pay::start, pay::complete, pay::notify,
        supplements::pay, supplements::decline,
        visits::visit, visits::check_in, visits::service_code, visits::tick, visits::check_out, visits::photo,
        after_sale::open, after_sale::of_order, after_sale::get, after_sale::answer, after_sale::counter,
        after_sale::escalate, after_sale::photo, after_sale::reservice_slots, after_sale::book_reservice, after_sale::queue, after_sale::evidence, after_sale::decide,
        guarantee::file, guarantee::of_order, guarantee::queue, guarantee::decide,
        earnings::earnings, earnings::put_payout_account, earnings::withdraw, earnings::dashboard,
        deposits::get, deposits::pay,
        search::search, search::suggestions, search::clear_history, search::set_pinned, search::synonyms, search::add_synonyms, search::delete_synonyms,
        finance::trial_balance, finance::order_ledger, finance::account_ledger, finance::withdrawals, finance::approve_withdrawal, finance::reject_withdrawal,
        finance::refund, finance::commission_rules, finance::save_commission_rule, finance::reconciliations, finance::reconcile,
        reviews::create, reviews::panel, reviews::reply, reviews::report, reviews::provider_reviews, reviews::listing_reviews,
        reviews::rate_customer, reviews::queue, reviews::decide,
        complaints::file, complaints::mine, complaints::get, complaints::queue, complaints::admin_get,
        complaints::note, complaints::status, complaints::reliability,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-up, sign-in, tokens"),
        (name = "me", description = "The signed-in account"),
        (name = "catalog", description = "Public reference data"),
        (name = "providers", description = "Provider onboarding and profiles"),
        (name = "listings", description = "Service listings"),
        (name = "orders", description = "Availability, slots and orders"),
        (name = "after-sale", description = "After-sale requests (售后): refunds, re-service, counter-offers, arbitration (operators: finance.manage)"),
        (name = "guarantee", description = "先行赔付: customers' claims on completed orders, operators' decisions (finance.manage)"),
        (name = "reviews", description = "Reviews of confirmed orders, replies, reports, ratings of customers"),
        (name = "complaints", description = "Complaint tickets (customers; operators with complaints.handle) and provider reliability"),
        (name = "earnings", description = "A provider's earnings, payout account, withdrawals and deposit (保证金)"),
        (name = "admin", description = "Operator console (staff permissions required)"),
        (name = "finance", description = "Operator finance console: ledger, withdrawals, refunds, commission, reconciliation (finance.manage)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// API routes plus the document and docs UI.
pub fn routes(r: Routes) -> Routes {
    let r = r
        .get("/api/v1/openapi.json", Access::Public, openapi_json)
        .get("/api/docs", Access::Public, docs);
    let r = auth::routes(r);
    let r = me::routes(r);
    let r = catalog::routes(r);
    let r = categories::routes(r);
    let r = providers::routes(r);
    let r = listings::routes(r);
    let r = areas::routes(r);
    let r = discover::routes(r);
    let r = search::routes(r);
    let r = orders::routes(r);
    let r = pay::routes(r);
    let r = supplements::routes(r);
    let r = visits::routes(r);
    let r = after_sale::routes(r);
    let r = guarantee::routes(r);
    let r = earnings::routes(r);
    let r = deposits::routes(r);
    let r = reviews::routes(r);
    let r = complaints::routes(r);
    let r = finance::routes(r);
    admin::routes(r)
}

async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

async fn docs() -> Response {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(include_str!("../../static/api_docs.html")),
    )
        .into_response()
}
