using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>
/// HTTPMatchRequest.authority (virtual_service.proto): "HTTP Authority; values are case-sensitive", matched as Envoy's
/// <c>:authority</c> pseudo-header (pilot route.go TranslateRouteMatch, HeaderAuthority). For HTTP/1.1 that is the
/// Host field as sent, port included: Istio's gateway route configurations set <c>ignore_port_in_host_matching</c>,
/// which only affects virtual host selection (pilot gateway.go), not the header.
/// </summary>
public sealed class AuthorityMatchTests
{
    [Theory]
    [InlineData("{exact: example.com}", "example.com", true)]
    [InlineData("{exact: example.com}", "example.com:8080", false)]
    [InlineData("{exact: \"example.com:8080\"}", "example.com:8080", true)]
    [InlineData("{prefix: example.com}", "example.com:8080", true)]
    [InlineData("{prefix: api.}", "web.example.com", false)]
    [InlineData("{regex: \"example\\\\.com(:[0-9]+)?\"}", "example.com:8080", true)]
    [InlineData("{regex: \"example\\\\.com(:[0-9]+)?\"}", "example.com", true)]
    [InlineData("{regex: \"example\\\\.com\"}", "example.com:8080", false)]
    [InlineData("{regex: \"[a-z]+\\\\.example\\\\.com\"}", "shop.example.com", true)]
    // "values are case-sensitive" (istio/istio#56801 asks for an ignoreAuthorityCase because of it).
    [InlineData("{exact: example.com}", "Example.com", false)]
    public void Route_Authority_MatchesHostFieldAsSent(string authority, string host, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{authority: {authority}}}]"), "/", host: host));
    }

    // RFC 9112 3.2.2: a server receiving an absolute-form target "MUST ignore the received Host header field (if any)
    // and instead use the host information of the request-target"; Envoy's HTTP/1 codec sets :authority from it.
    [Theory]
    [InlineData("http://api.example.com/x", "other.example.com", true)]
    [InlineData("http://api.example.com:8080/x", "api.example.com", false)]
    public void Route_AbsoluteFormTarget_AuthorityFromTarget(string target, string host, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch("[{authority: {exact: api.example.com}}]"), target, host: host));
    }
}
