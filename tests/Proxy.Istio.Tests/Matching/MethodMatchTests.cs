using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>HTTPMatchRequest.method (virtual_service.proto): "HTTP Method; values are case-sensitive", matched as
/// Envoy's <c>:method</c> pseudo-header (pilot route.go TranslateRouteMatch, HeaderMethod).</summary>
public sealed class MethodMatchTests
{
    [Theory]
    [InlineData("{exact: POST}", "POST", true)]
    [InlineData("{exact: POST}", "GET", false)]
    // "values are case-sensitive" (and RFC 9110 9.1: "The method token is case-sensitive").
    [InlineData("{exact: POST}", "post", false)]
    [InlineData("{exact: PURGE}", "PURGE", true)]
    [InlineData("{prefix: P}", "PUT", true)]
    [InlineData("{prefix: P}", "PATCH", true)]
    [InlineData("{prefix: P}", "GET", false)]
    // regex: RE2, full-string match (Envoy safe_regex).
    [InlineData("{regex: \"GET|HEAD\"}", "HEAD", true)]
    [InlineData("{regex: \"GET|HEAD\"}", "GETX", false)]
    [InlineData("{regex: \"G.T\"}", "GET", true)]
    public void Route_Method_MatchesMethodToken(string method, string sent, bool hit)
    {
        Assert.Equal(hit, Hits(RouterWithMatch($"[{{method: {method}}}]"), "/", sent));
    }
}
