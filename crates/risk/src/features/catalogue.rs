//! The named features rules can use: name, type and meaning of each.

/// The type of a feature's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureKind {
    /// `true` / `false`.
    Bool,
    /// A signed integer; `-1` where documented means "not sent".
    Int,
    /// A floating-point number.
    Float,
    /// A string; `""` means unknown or not sent.
    Str,
}

macro_rules! catalogue {
    ($($variant:ident $name:literal $kind:ident $doc:literal;)*) => {
        /// A named feature computed for every event. Rules refer to it by
        /// [`Feature::name`]; [`Feature::doc`] says what it means.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Feature {
            $(#[doc = $doc] $variant,)*
        }

        impl Feature {
            /// Every feature, in catalogue order.
            pub const ALL: &'static [Feature] = &[$(Feature::$variant,)*];

            /// The name rules and reasons use, e.g. `ip_events_1h`.
            pub const fn name(self) -> &'static str {
                match self { $(Feature::$variant => $name,)* }
            }

            /// What it means.
            pub const fn doc(self) -> &'static str {
                match self { $(Feature::$variant => $doc,)* }
            }

            /// Its value's type.
            pub const fn kind(self) -> FeatureKind {
                match self { $(Feature::$variant => FeatureKind::$kind,)* }
            }

            /// The feature called `name`.
            pub fn from_name(name: &str) -> Option<Feature> {
                match name { $($name => Some(Feature::$variant),)* _ => None }
            }
        }
    };
}

catalogue! {
    Kind "kind" Str "`register` or `login`.";
    IsLogin "is_login" Bool "The event is a login.";
    RunEnv "run_env" Int "Client environment 2–12 as in the seed; -1 if not sent.";
    Platform "platform" Str "`run_env` by name: `web`, `wap`, `ios_phone`, `android_phone`, …; `\"\"` if not sent.";
    IsApp "is_app" Bool "`run_env` 4–9: a phone or tablet app.";
    IsDesktop "is_desktop" Bool "`run_env` 10–12: a desktop client.";
    AppVerPresent "app_ver_present" Bool "`app_ver` was sent.";
    ReferrerPresent "referrer_present" Bool "`referrer` was sent.";
    Result "result" Int "`result`: 0 failure, 1 success; -1 if not sent.";
    Reason "reason" Int "`reason`: 0 other, 1 bad parameters, 2 account conflict, 3 verification error; -1 if not sent.";
    LoginType "login_type" Int "`login_type`: 0 password, 1 QR code, 2 SMS code; -1 if not sent.";
    Failed "failed" Bool "A login whose `result` is 0.";
    TimeSkewS "time_skew_s" Int "Seconds between the client's event time (`login_time` or `register_time`) and now; -1 if not sent.";
    AccountAgeS "account_age_s" Int "Login only: seconds since `register_time`; -1 if unknown.";
    AccountLen "account_len" Int "Characters in `account`.";
    AccountIsMd5 "account_is_md5" Bool "`account` is a 32-hex MD5.";
    PwdPresent "pwd_present" Bool "`pwd` was sent.";
    PwdCommon "pwd_common" Bool "`pwd` is the MD5 of one of the 30,000 most common passwords.";
    EmailPresent "email_present" Bool "`email` was sent.";
    EmailDomain "email_domain" Str "Lower-case domain of `email`; `\"\"` if not sent or an MD5.";
    EmailDisposable "email_disposable" Bool "`email` is at a known disposable-mail domain.";
    NickNamePresent "nick_name_present" Bool "`nick_name` was sent.";
    PnKind "pn_kind" Str "How `pn` was sent: `number`, `md5`, `invalid`, or `\"\"` if not sent.";
    PhoneValid "phone_valid" Bool "`pn` is a valid number (true unless a number known invalid).";
    PhoneNetwork "phone_network" Str "Network type of `pn`: `mno`, `mvno`, `iot`, `data_only`, `satellite`, `unknown`; `\"\"` if not looked up.";
    PhoneCarrier "phone_carrier" Str "Carrier code of `pn` (`cmcc`, …); `\"\"` if not looked up.";
    PhoneMvno "phone_mvno" Bool "`pn` is in a virtual operator's segment (虚拟运营商).";
    PhoneIot "phone_iot" Bool "`pn` is in an IoT segment (物联网卡).";
    PhoneDataOnly "phone_data_only" Bool "`pn` is in a data-only segment (上网卡).";
    PhoneSatellite "phone_satellite" Bool "`pn` is a satellite number.";
    PhoneUnallocated "phone_unallocated" Bool "`pn` is in a segment allocated to no carrier.";
    PhoneLineStatus "phone_line_status" Str "Line status of `pn` if a supplier was asked (`normal`, `suspended`, …); `\"\"` otherwise.";
    PhoneLineBad "phone_line_bad" Bool "`pn`'s line is cancelled, suspended, unavailable, about to be cancelled or of no network.";
    IpPresent "ip_present" Bool "`ip` was sent and parses.";
    IpVersion "ip_version" Int "4 or 6; 0 without an IP.";
    IpPrivate "ip_private" Bool "`ip` is private (RFC 1918, unique-local, carrier-grade NAT).";
    IpReserved "ip_reserved" Bool "`ip` is loopback, link-local, documentation, multicast, unspecified or otherwise reserved.";
    IpDatacenter "ip_datacenter" Bool "`ip` is in a configured data-centre range.";
    IpProxy "ip_proxy" Bool "`ip` is in a configured proxy/VPN range.";
    XffPresent "xff_present" Bool "`x_forward_for` was sent.";
    XffHops "xff_hops" Int "Entries in `x_forward_for`.";
    XffMalformed "xff_malformed" Bool "`x_forward_for` has an entry that is not an IP (nor `unknown`).";
    XffMismatch "xff_mismatch" Bool "`x_forward_for` names public IPs but not `ip`.";
    XffDatacenter "xff_datacenter" Bool "An `x_forward_for` entry is in a data-centre or proxy range.";
    UaPresent "ua_present" Bool "`user_agent` was sent.";
    UaFamily "ua_family" Str "Client family from `user_agent`: `chrome`, `safari`, `firefox`, `edge`, `wechat`, `app`, or the automation tool (`headless_chrome`, `curl`, …); `\"\"` if not sent.";
    UaAutomation "ua_automation" Bool "`user_agent` names an automation tool or HTTP library (HeadlessChrome, PhantomJS, python-requests, curl, Go-http-client, Selenium, Puppeteer, …).";
    UaEmulator "ua_emulator" Bool "`user_agent` carries an emulator marker (sdk_gphone, generic_x86, Genymotion, BlueStacks, …).";
    UaMobile "ua_mobile" Bool "`user_agent` is of a phone or tablet.";
    PlatformMismatch "platform_mismatch" Bool "`run_env` and `user_agent` name different operating systems.";
    DevicePresent "device_present" Bool "The event has a usable device identifier (`device_id`, non-null `idfa` or `mac`).";
    DeviceIdPresent "device_id_present" Bool "`device_id` was sent.";
    IdfaNull "idfa_null" Bool "`idfa` is all zeros (tracking limited).";
    MacNull "mac_null" Bool "`mac` is all zeros or the constant 02:00:00:00:00:00.";
    DeviceTokenValid "device_token_valid" Bool "`device_token` is a valid token of this tenant: `device_id` is the one phoneguard issued.";
    DeviceTokenInvalid "device_token_invalid" Bool "`device_token` was sent but is malformed, forged, expired or another tenant's.";
    DeviceIdUnverified "device_id_unverified" Bool "`device_id` was sent without a valid `device_token`: the integrator's word only.";
    DeviceHeadless "device_headless" Bool "The device token's signals: a headless or automated browser (HeadlessChrome, `navigator.webdriver`, software WebGL).";
    DeviceWebdriver "device_webdriver" Bool "The device token's signals: `navigator.webdriver` was true.";
    DeviceEmulator "device_emulator" Bool "The device token's signals: an emulator.";
    DeviceRooted "device_rooted" Bool "The device token's signals: a rooted or jailbroken device.";
    DeviceTampering "device_tampering" Bool "The device token's signals contradict each other (UA vs platform or client hints) or the SDK sent an id never issued.";
    DeviceTimezoneMismatch "device_timezone_mismatch" Bool "The device token's time zone is of another country than `ip` (needs `risk.geoip_file`; false when either country is unknown).";
    FingerprintDevices "fingerprint_devices" Int "Device ids issued to the token's fingerprint on this tenant in 30 days; -1 without a valid token.";
    DeviceAgeS "device_age_s" Int "Seconds since the device was first seen (0 the first time); -1 without a device.";
    BehaviourPresent "behaviour_present" Bool "Any of `move_count`, `click_count`, `key_count`, `operating_time` was sent.";
    MoveCount "move_count" Int "Pointer/touch moves; -1 if not sent.";
    ClickCount "click_count" Int "Clicks/taps; -1 if not sent.";
    KeyCount "key_count" Int "Key presses; -1 if not sent.";
    OperatingTime "operating_time" Int "Seconds on the form; -1 if not sent.";
    KeysPerS "keys_per_s" Float "`key_count` / `operating_time` (0 when either is missing or 0).";
    IpEvents10m "ip_events_10m" Int "Events of this kind from `ip` in 10 min (this one included).";
    IpEvents1h "ip_events_1h" Int "… in 1 h.";
    IpEvents24h "ip_events_24h" Int "… in 24 h.";
    SubnetEvents10m "subnet_events_10m" Int "Events of this kind from the /24 (IPv4) or /64 (IPv6) in 10 min.";
    SubnetEvents1h "subnet_events_1h" Int "… in 1 h.";
    SubnetEvents24h "subnet_events_24h" Int "… in 24 h.";
    DeviceEvents10m "device_events_10m" Int "Events of this kind from the device in 10 min (highest over its identifiers).";
    DeviceEvents1h "device_events_1h" Int "… in 1 h.";
    DeviceEvents24h "device_events_24h" Int "… in 24 h.";
    AccountEvents10m "account_events_10m" Int "Events of this kind for the account in 10 min.";
    AccountEvents1h "account_events_1h" Int "… in 1 h.";
    AccountEvents24h "account_events_24h" Int "… in 24 h.";
    PhoneEvents10m "phone_events_10m" Int "Events of this kind for the phone in 10 min.";
    PhoneEvents1h "phone_events_1h" Int "… in 1 h.";
    PhoneEvents24h "phone_events_24h" Int "… in 24 h.";
    IpAccounts10m "ip_accounts_10m" Int "Distinct accounts seen from `ip` in 10 min.";
    IpAccounts1h "ip_accounts_1h" Int "… in 1 h.";
    IpAccounts24h "ip_accounts_24h" Int "… in 24 h.";
    SubnetAccounts10m "subnet_accounts_10m" Int "Distinct accounts seen from the subnet in 10 min.";
    SubnetAccounts1h "subnet_accounts_1h" Int "… in 1 h.";
    SubnetAccounts24h "subnet_accounts_24h" Int "… in 24 h.";
    DeviceAccounts10m "device_accounts_10m" Int "Distinct accounts seen on the device in 10 min (highest over its identifiers).";
    DeviceAccounts1h "device_accounts_1h" Int "… in 1 h.";
    DeviceAccounts24h "device_accounts_24h" Int "… in 24 h.";
    PhoneAccounts10m "phone_accounts_10m" Int "Distinct accounts using the phone in 10 min.";
    PhoneAccounts1h "phone_accounts_1h" Int "… in 1 h.";
    PhoneAccounts24h "phone_accounts_24h" Int "… in 24 h.";
    AccountIps10m "account_ips_10m" Int "Distinct IPs the account came from in 10 min.";
    AccountIps1h "account_ips_1h" Int "… in 1 h.";
    AccountIps24h "account_ips_24h" Int "… in 24 h.";
    AccountFailures10m "account_failures_10m" Int "Failed logins of the account in 10 min.";
    AccountFailures1h "account_failures_1h" Int "… in 1 h.";
    AccountFailures24h "account_failures_24h" Int "… in 24 h.";
    IpFailures10m "ip_failures_10m" Int "Failed logins from `ip` in 10 min.";
    IpFailures1h "ip_failures_1h" Int "… in 1 h.";
    IpFailures24h "ip_failures_24h" Int "… in 24 h.";
    IpFailedAccounts10m "ip_failed_accounts_10m" Int "Distinct accounts failing to log in from `ip` in 10 min.";
    IpFailedAccounts1h "ip_failed_accounts_1h" Int "… in 1 h.";
    IpFailedAccounts24h "ip_failed_accounts_24h" Int "… in 24 h.";
}
