//! Page labels in English and Chinese, chosen by `?lang=` or `Accept-Language`.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// `?lang=` when given (`zh`/`en`), else the first of `zh`/`en` in
    /// `Accept-Language`, else English.
    pub fn pick(query: Option<&str>, headers: &HeaderMap) -> Lang {
        match query {
            Some(q) if q.starts_with("zh") => return Lang::Zh,
            Some(q) if q.starts_with("en") => return Lang::En,
            _ => {}
        }
        let accept = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for tag in accept.split(',') {
            let tag = tag.trim().to_ascii_lowercase();
            if tag.starts_with("zh") {
                return Lang::Zh;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    /// The code used in links and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The label `key` in this language (the key itself when unknown).
    pub fn t(self, key: &'static str) -> &'static str {
        let zh = self == Lang::Zh;
        LABELS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, en, cn)| if zh { *cn } else { *en })
            .unwrap_or(key)
    }
}

/// `(key, English, Chinese)`.
const LABELS: &[(&str, &str, &str)] = &[
    ("title", "phoneguard dashboard", "phoneguard 监控台"),
    ("overview", "Overview", "概览"),
    ("suppliers", "Suppliers", "供应商"),
    ("verifications", "Verifications", "验证"),
    ("risk", "Risk", "风控"),
    ("tenants", "Tenants & keys", "租户与密钥"),
    ("usage", "Usage", "用量"),
    ("logout", "Log out", "退出"),
    ("login", "Log in", "登录"),
    ("admin_token", "Admin token", "管理员令牌"),
    ("bad_token", "Invalid admin token.", "管理员令牌无效。"),
    ("window", "Window", "时间范围"),
    ("calls", "Calls", "调用次数"),
    (
        "calls_over_time",
        "Supplier calls per capability",
        "各能力的供应商调用",
    ),
    ("error_rate", "Error rate", "错误率"),
    ("p95", "p95 latency (ms)", "p95 延迟 (毫秒)"),
    ("p50", "p50 latency (ms)", "p50 延迟 (毫秒)"),
    (
        "latency_over_time",
        "p95 latency over time (ms)",
        "p95 延迟趋势 (毫秒)",
    ),
    (
        "errors_over_time",
        "Error rate over time (%)",
        "错误率趋势 (%)",
    ),
    ("capability", "Capability", "能力"),
    ("supplier", "Supplier", "供应商"),
    ("kind", "Kind", "类型"),
    ("health", "Health", "健康"),
    ("breaker", "Breaker", "熔断器"),
    ("success_rate", "Success rate", "成功率"),
    ("weight", "Weight", "权重"),
    ("price", "Price (milli-yuan)", "价格 (厘)"),
    ("enabled", "Enabled", "启用"),
    ("disabled", "Disabled", "停用"),
    ("cost", "Cost (yuan)", "费用 (元)"),
    ("change", "Change…", "修改…"),
    ("confirm", "Confirm", "确认"),
    ("cancel", "Cancel", "取消"),
    ("confirm_change", "Confirm the change", "确认修改"),
    ("before", "Before", "修改前"),
    ("after", "After", "修改后"),
    (
        "updated",
        "Supplier updated; routing uses it now:",
        "供应商已更新，路由已立即生效：",
    ),
    ("conversion", "Conversion per carrier", "各运营商转化率"),
    ("carrier", "Carrier", "运营商"),
    ("sent", "Sent", "已发送"),
    ("entered", "Entered", "已输入"),
    ("channel", "Channel", "渠道"),
    ("started", "Started", "已发起"),
    ("delivered", "Delivered", "已送达"),
    ("approved", "Approved", "已通过"),
    ("failovers", "Failovers", "故障转移"),
    ("funnel_channel", "Funnel by channel", "按渠道的漏斗"),
    ("funnel_supplier", "Attempts by supplier", "按供应商的发送"),
    ("levels_over_time", "Risk levels over time", "风险等级趋势"),
    ("level", "Level", "等级"),
    ("assessments", "Assessments", "评估次数"),
    ("top_reasons", "Top reasons", "主要原因"),
    ("reason", "Reason", "原因"),
    ("count", "Count", "次数"),
    (
        "top_devices",
        "Top risky devices (hashed)",
        "高风险设备 (哈希)",
    ),
    (
        "top_ips",
        "IPs with most code sends (hashed)",
        "发送验证码最多的 IP (哈希)",
    ),
    ("device", "Device", "设备"),
    ("max_level", "Max level", "最高等级"),
    ("tenant", "Tenant", "租户"),
    (
        "account_sid",
        "Account SID (Twilio API)",
        "Account SID (Twilio 接口)",
    ),
    ("name", "Name", "名称"),
    ("created", "Created", "创建时间"),
    ("keys", "Keys", "密钥"),
    ("mode", "Mode", "模式"),
    ("hint", "Key (hint)", "密钥 (提示)"),
    ("revoked", "Revoked", "已吊销"),
    ("active", "Active", "有效"),
    (
        "usage_by_tenant",
        "Calls by tenant and capability",
        "按租户与能力的调用",
    ),
    ("total", "Total", "合计"),
    ("none", "No data in this window.", "此时间范围内无数据。"),
    (
        "sampled",
        "Figures from the newest records only",
        "仅统计最新的记录",
    ),
    ("successes", "Successful calls", "成功调用"),
    ("failures", "Failed calls", "失败调用"),
    ("approval_rate", "Conversion", "转化率"),
    ("status", "Status", "状态"),
    ("ip", "IP (hashed)", "IP (哈希)"),
    (
        "verifications_started",
        "Verifications started",
        "发起的验证",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_wins_over_accept_language_and_zh_is_picked_from_the_header() {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.8".parse().unwrap());
        assert_eq!(Lang::pick(None, &h), Lang::Zh);
        assert_eq!(Lang::pick(Some("en"), &h), Lang::En);
        assert_eq!(Lang::pick(None, &HeaderMap::new()), Lang::En);
        assert_eq!(Lang::Zh.t("risk"), "风控");
        assert_eq!(Lang::En.t("risk"), "Risk");
    }

    #[test]
    fn every_label_has_both_languages() {
        for (k, en, zh) in LABELS {
            assert!(!en.is_empty() && !zh.is_empty(), "{k}");
            assert_eq!(LABELS.iter().filter(|(x, _, _)| x == k).count(), 1, "{k}");
        }
    }
}
