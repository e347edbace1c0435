using Proxy.Engine.Http;
using Proxy.Engine.Routing;

namespace Proxy.Istio.Tests.Matching;

/// <summary>
/// Drives HTTPMatchRequest cases end to end: YAML (Gateway default/gw on port 80 for every host, the test backend, a
/// VirtualService) through <see cref="IstioConfigBuilder"/> to the listener's router, then a request head through it.
/// </summary>
internal static class MatchTable
{
    /// <summary>The route every single-route table names: a request that gets it matched.</summary>
    public const string Hit = "hit";

    /// <summary>A router whose only route, <see cref="Hit"/>, has this match list (YAML flow sequence).</summary>
    public static IHttpRouter RouterWithMatch(string match, IstioBuildOptions? options = null) =>
        TestConfig.Router(TestConfig.BuildValid(
            TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService(RouteYaml(Hit, match))), options));

    /// <summary>One <c>spec.http</c> item (2-space indented) named <paramref name="name"/> with this match list.</summary>
    public static string RouteYaml(string name, string? match, string subset = "v1") =>
        $"  - name: {name}\n" + (match is null ? string.Empty : $"    match: {match}\n") +
        $"    route: [{{destination: {{host: backend.example.internal, subset: {subset}}}}}]";

    /// <summary>Whether the request reaches <see cref="Hit"/>.</summary>
    public static bool Hits(IHttpRouter router, string target, string method = "GET", string host = "example.com", string headers = "") =>
        RouteName(router, target, method, host, headers) == Hit;

    /// <summary>The name of the route the request gets, or null (404 NR).</summary>
    /// <param name="headers">Extra fields as <c>name: value</c>, separated by <c>|</c>, in order (repeats allowed).</param>
    public static string? RouteName(IHttpRouter router, string target, string method = "GET", string host = "example.com", string headers = "") =>
        router.Route(Request(target, method, host, headers))?.Name;

    public static HttpRequestHead Request(string target, string method = "GET", string host = "example.com", string headers = "")
    {
        var fields = new List<KeyValuePair<string, string>> { new("Host", host) };
        foreach (var field in headers.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = field.IndexOf(':', 1);
            fields.Add(new(field[..colon].Trim(), field[(colon + 1)..].Trim()));
        }

        return HttpRequestHead.Create(method, target, [.. fields]);
    }
}
