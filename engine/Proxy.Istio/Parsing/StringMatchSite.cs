namespace Proxy.Istio.Parsing;

/// <summary>
/// Where a StringMatch appears, which decides what Istio accepts there (pkg/config/validation virtualservice.go
/// validateHTTPRouteMatchRequest) and what it becomes (pilot route.go translateHeaderMatch, translateQueryParamMatch).
/// </summary>
internal enum StringMatchSite
{
    /// <summary><c>uri</c>: "uri allows empty prefix match" (Envoy's path prefix), no <c>{}</c>.</summary>
    Uri,

    /// <summary><c>scheme</c>, <c>method</c>, <c>authority</c> and CORS origins: a non-empty prefix, no <c>{}</c>.</summary>
    Attribute,

    /// <summary><c>headers</c> and <c>queryParams</c>: <c>{}</c> is presence.</summary>
    KeyValue,

    /// <summary><c>withoutHeaders</c>: <c>{}</c> and <c>regex: "*"</c> are presence (validation skips the "*").</summary>
    WithoutHeader,
}
