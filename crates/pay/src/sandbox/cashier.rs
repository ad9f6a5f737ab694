//! The sandbox cashier page (沙箱收银台): plain HTML forms, no JavaScript.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::{CashierError, CashierOutcome, Sandbox, lock};
use crate::TradeState;
use crate::util::yuan;

/// A button on the cashier page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// 确认支付.
    Pay,
    /// 支付失败.
    Fail,
    /// 取消支付.
    Cancel,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        match s {
            "pay" => Some(Action::Pay),
            "fail" => Some(Action::Fail),
            "cancel" => Some(Action::Cancel),
            _ => None,
        }
    }
}

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn layout(title: &str, content: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; background: #f2f3f5; margin: 0; color: #1f2329; }}
main {{ max-width: 420px; margin: 32px auto; background: #fff; border-radius: 12px; padding: 24px; box-shadow: 0 1px 4px rgba(0,0,0,.08); }}
h1 {{ font-size: 18px; margin: 0 0 4px; }}
.sandbox {{ color: #b26a00; background: #fff7e6; border-radius: 6px; padding: 6px 10px; font-size: 13px; margin: 8px 0 16px; }}
.amount {{ font-size: 36px; font-weight: 600; text-align: center; margin: 16px 0; }}
dl {{ display: grid; grid-template-columns: 5em 1fr; gap: 6px 12px; font-size: 14px; margin: 0 0 20px; }}
dt {{ color: #646a73; }} dd {{ margin: 0; word-break: break-all; }}
form {{ margin: 0 0 10px; }}
button {{ width: 100%; padding: 12px; font-size: 16px; border-radius: 8px; border: 1px solid #d0d3d6; background: #fff; cursor: pointer; }}
button#pay {{ background: #07c160; border-color: #07c160; color: #fff; }}
.state {{ text-align: center; font-size: 16px; margin: 16px 0; }}
.error {{ color: #d03050; }}
</style>
</head>
<body>
<main>
{content}
</main>
</body>
</html>
"#,
        title = esc(title),
    )
}

fn message_page(status: StatusCode, title: &str, message: &str, class: &str) -> Response {
    let content = format!(
        r#"<h1>沙箱收银台</h1>
<p class="sandbox">沙箱环境 · 不会产生真实扣款</p>
<p class="state {class}" id="result">{}</p>"#,
        esc(message)
    );
    (status, Html(layout(title, &content))).into_response()
}

fn not_found() -> Response {
    message_page(StatusCode::NOT_FOUND, "订单不存在", "订单不存在", "error")
}

/// `GET /cashier/{prepay_id}`.
pub(crate) async fn page(
    State(sb): State<Arc<Sandbox>>,
    Path(prepay_id): Path<String>,
) -> Response {
    let now = sb.now();
    let st = lock(&sb.state);
    let Some(txn) = st.by_prepay.get(&prepay_id).and_then(|no| st.txns.get(no)) else {
        return not_found();
    };
    let state_line = match txn.tx.trade_state {
        TradeState::Success | TradeState::Refund => Some(("订单已支付", "")),
        TradeState::Closed => Some(("订单已关闭，无法支付", "error")),
        _ if txn.expired(now) => Some(("订单已过期，无法支付", "error")),
        TradeState::PayError => None,
        TradeState::NotPay => None,
    };
    let retry_note = if txn.tx.trade_state == TradeState::PayError {
        r#"<p class="state error">上次支付失败，可重新支付</p>"#
    } else {
        ""
    };
    let actions = match state_line {
        Some((text, class)) => format!(r#"<p class="state {class}" id="state">{text}</p>"#),
        None => {
            let id = esc(&prepay_id);
            format!(
                r#"{retry_note}<form method="post" action="{id}/pay"><button id="pay" type="submit">确认支付</button></form>
<form method="post" action="{id}/fail"><button id="fail" type="submit">支付失败</button></form>
<form method="post" action="{id}/cancel"><button id="cancel" type="submit">取消支付</button></form>"#
            )
        }
    };
    let content = format!(
        r#"<h1>沙箱收银台</h1>
<p class="sandbox">沙箱环境 · 不会产生真实扣款</p>
<div class="amount" id="amount">{amount}</div>
<dl>
<dt>收款方</dt><dd id="merchant">{merchant}</dd>
<dt>商品</dt><dd id="description">{description}</dd>
<dt>订单号</dt><dd id="out-trade-no">{no}</dd>
</dl>
{actions}"#,
        amount = esc(&yuan(txn.tx.amount)),
        merchant = esc(&sb.cfg.merchant_name),
        description = esc(&txn.description),
        no = esc(&txn.tx.out_trade_no),
    );
    drop(st);
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(layout("沙箱收银台", &content)),
    )
        .into_response()
}

/// `POST /cashier/{prepay_id}/{pay|fail|cancel}`.
pub(crate) async fn act(
    State(sb): State<Arc<Sandbox>>,
    Path((prepay_id, action)): Path<(String, String)>,
) -> Response {
    let Some(action) = Action::parse(&action) else {
        return not_found();
    };
    // Only prepay ids reach the cashier (order numbers are for the `pay_now` test hook).
    if !lock(&sb.state).by_prepay.contains_key(&prepay_id) {
        return not_found();
    }
    match sb.cashier_action(&prepay_id, action) {
        Ok((_, Some(return_url), _)) => {
            (StatusCode::SEE_OTHER, [(header::LOCATION, return_url)]).into_response()
        }
        Ok((_, None, outcome)) => {
            let (text, class) = match outcome {
                CashierOutcome::Paid => ("支付成功", ""),
                CashierOutcome::AlreadyPaid => ("订单已支付", ""),
                CashierOutcome::Failed => ("支付失败", "error"),
                CashierOutcome::Cancelled => ("已取消支付", ""),
            };
            message_page(StatusCode::OK, text, text, class)
        }
        Err(CashierError::NotFound) => not_found(),
        Err(CashierError::Closed) => message_page(
            StatusCode::CONFLICT,
            "无法支付",
            "订单已关闭，无法支付",
            "error",
        ),
        Err(CashierError::Expired) => message_page(
            StatusCode::CONFLICT,
            "无法支付",
            "订单已过期，无法支付",
            "error",
        ),
    }
}
