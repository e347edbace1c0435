using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>
/// HTTPMatchRequest.headers (virtual_service.proto): "The header keys must be lowercase and use hyphen as the
/// separator ... Header values are case-sensitive", exact, prefix or RE2 regex; "If the value is empty and only the
/// name of header is specified, presence of the header is checked. To provide an empty value, use {}". Istio builds one
/// Envoy HeaderMatcher per key (pilot route.go translateHeaderMatch).
/// </summary>
public sealed class HeadersMatchTests
{
    [Theory]
    [InlineData("{end-user: {exact: jason}}", "end-user: jason", true)]
    [InlineData("{end-user: {exact: jason}}", "end-user: Jason", false)]
    [InlineData("{end-user: {exact: jason}}", "end-user: jasonx", false)]
    [InlineData("{end-user: {exact: jason}}", "other: jason", false)]
    [InlineData("{end-user: {exact: jason}}", "", false)]
    // Field names are case-insensitive (RFC 9110 5.1); the configured key is lower-case.
    [InlineData("{end-user: {exact: jason}}", "End-User: jason", true)]
    [InlineData("{end-user: {prefix: ja}}", "end-user: jason", true)]
    [InlineData("{end-user: {prefix: ja}}", "end-user: xjason", false)]
    // regex: RE2 full-string match (Envoy safe_regex).
    [InlineData("{end-user: {regex: \"j.*n\"}}", "end-user: jason", true)]
    [InlineData("{end-user: {regex: \"j.*n\"}}", "end-user: jasonx", false)]
    [InlineData("{end-user: {regex: \"a\"}}", "end-user: ab", false)]
    // Presence: "{}" (a key without a value is an error in Istio: "header match x cannot be null").
    [InlineData("{x-canary: {}}", "x-canary: anything", true)]
    [InlineData("{x-canary: {}}", "x-canary:", true)]
    [InlineData("{x-canary: {}}", "x-other: 1", false)]
    // exact "" is a string match on the empty value, not presence.
    [InlineData("{x-canary: {exact: \"\"}}", "x-canary:", true)]
    [InlineData("{x-canary: {exact: \"\"}}", "x-canary: 1", false)]
    [InlineData("{x-canary: {exact: \"\"}}", "", false)]
    // Keys in one match block are ANDed.
    [InlineData("{a: {exact: \"1\"}, b: {exact: \"2\"}}", "a: 1|b: 2", true)]
    [InlineData("{a: {exact: \"1\"}, b: {exact: \"2\"}}", "a: 1", false)]
    public void Route_Headers_ValueOrPresence(string headers, string sent, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{headers: {headers}}}]"), "/", headers: sent));
    }

    // A header sent several times: Envoy matches "all headers for the given key joined by a comma" (the fix for
    // CVE-2020-25017, where matching only the first value let a second one through unchecked).
    [Theory]
    [InlineData("{x-a: {exact: \"1,2\"}}", true)]
    [InlineData("{x-a: {exact: \"1\"}}", false)]
    [InlineData("{x-a: {exact: \"2\"}}", false)]
    [InlineData("{x-a: {prefix: \"1\"}}", true)]
    [InlineData("{x-a: {regex: \".*,2\"}}", true)]
    [InlineData("{x-a: {regex: \"[0-9]\"}}", false)]
    [InlineData("{x-a: {}}", true)]
    public void Route_RepeatedHeader_ValuesJoinedWithComma(string headers, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{headers: {headers}}}]"), "/", headers: "x-a: 1|x-other: z|X-A: 2"));
    }

    [Fact]
    public void Route_RepeatedLongHeader_JoinedBeyondTheStackBuffer()
    {
        var value = new string('v', 300);

        var router = RouterWithMatch($"[{{headers: {{x-a: {{exact: \"{value},{value}\"}}}}}}]");

        Assert.True(Hits(router, "/", headers: $"x-a: {value}|x-a: {value}"));
        Assert.False(Hits(router, "/", headers: $"x-a: {value}"));
    }

    [Theory]
    // Istio validation accepts the pseudo-headers as keys (pseudoHeaders: :method, :scheme, :authority, :path) and
    // Envoy matches them against the request line and Host; :path includes the query.
    [InlineData("{\":authority\": {exact: \"example.com:8080\"}}", "", true)]
    [InlineData("{\":authority\": {exact: example.com}}", "", false)]
    [InlineData("{\":method\": {exact: GET}}", "", true)]
    [InlineData("{\":scheme\": {exact: http}}", "", true)]
    [InlineData("{\":path\": {exact: \"/a?x=1\"}}", "", true)]
    [InlineData("{\":path\": {exact: /a}}", "", false)]
    // Envoy stores the HTTP/1 Host field as :authority, so a "host" key never finds it (istio/istio#23083).
    [InlineData("{host: {exact: \"example.com:8080\"}}", "", false)]
    [InlineData("{host: {}}", "", false)]
    // "The keys uri, scheme, method, and authority will be ignored" is not what Istio does: they are ordinary header
    // names (istio/istio#48555), so they need a field of that name.
    [InlineData("{method: {exact: GET}}", "", false)]
    [InlineData("{method: {exact: GET}}", "method: GET", true)]
    public void Route_SpecialHeaderKeys_AsEnvoyMatchesThem(string headers, string sent, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{headers: {headers}}}]"), "/a?x=1", host: "example.com:8080", headers: sent));
    }
}
