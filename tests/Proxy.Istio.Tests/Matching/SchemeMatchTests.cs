using System.Reflection;
using Proxy.Engine.Http;
using static Proxy.Istio.Tests.Matching.MatchTable;

namespace Proxy.Istio.Tests.Matching;

/// <summary>HTTPMatchRequest.scheme (virtual_service.proto): "URI Scheme; values are case-sensitive". Istio matches it
/// as Envoy's <c>:scheme</c> pseudo-header (pilot route.go TranslateRouteMatch, HeaderScheme).</summary>
public sealed class SchemeMatchTests
{
    [Theory]
    // Envoy (HTTP connection manager, ":scheme"): for HTTP/1 it is set "from the value of the x-forwarded-proto
    // header after sanitization (to valid x-forwarded-proto from trusted downstreams, otherwise based on downstream
    // encryption level)"; a gateway trusts no downstream hop, so plaintext is http whatever the client claims.
    [InlineData("{exact: http}", false, "", true)]
    [InlineData("{exact: https}", false, "", false)]
    [InlineData("{exact: https}", false, "x-forwarded-proto: https", false)]
    [InlineData("{exact: https}", true, "", true)]
    [InlineData("{exact: http}", true, "", false)]
    // "values are case-sensitive".
    [InlineData("{exact: HTTP}", false, "", false)]
    [InlineData("{prefix: http}", false, "", true)]
    [InlineData("{prefix: http}", true, "", true)]
    [InlineData("{regex: \"https?\"}", true, "", true)]
    [InlineData("{regex: \"http\"}", true, "", false)]
    public void Route_Scheme_MatchesDownstreamConnectionScheme(string scheme, bool tls, string headers, bool hit)
    {
        var router = RouterWithMatch($"[{{scheme: {scheme}}}]");
        var request = Request("/", headers: headers);
        if (tls)
        {
            SetScheme(request, "https");
        }

        Assert.Equal(hit, router.Route(request)?.Name == Hit);
    }

    /// <summary>The engine sets the scheme from the downstream connection (Http1ProxyConnection); a head built in a
    /// test has no connection, so the test sets it the same way.</summary>
    private static void SetScheme(HttpRequestHead request, string scheme) =>
        typeof(HttpRequestHead).GetProperty(nameof(HttpRequestHead.Scheme), BindingFlags.Public | BindingFlags.Instance)!.SetValue(request, scheme);
}
