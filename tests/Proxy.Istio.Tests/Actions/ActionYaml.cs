using Proxy.Engine.Config;
using Proxy.Engine.Routing;

namespace Proxy.Istio.Tests.Actions;

/// <summary>
/// Builds the standard fixture (Gateway default/gw on 80, the backend ServiceEntry and DestinationRule, a
/// VirtualService default/vs with the given http routes as document 3, and a shadow ServiceEntry for mirrors).
/// </summary>
internal static class ActionYaml
{
    /// <summary>How errors and warnings about the VirtualService start (DESIGN.md: file[i] Kind namespace/name: ).</summary>
    public const string Vs = "test.yaml[3] VirtualService default/vs: ";

    public const string V1 = "outbound|80|v1|backend.example.internal";

    public const string V2 = "outbound|80|v2|backend.example.internal";

    /// <summary>shadow.example.internal with ports 80 and 8080 and a subset <c>blue</c>, for mirrors.</summary>
    public const string Shadow = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: shadow}
        spec:
          hosts: [shadow.example.internal]
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}, {number: 8080, name: http-alt, protocol: HTTP}]
          endpoints: [{address: 10.0.1.1, labels: {color: blue}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: shadow}
        spec:
          host: shadow.example.internal
          subsets: [{name: blue, labels: {color: blue}}]
        """;

    public static string Yaml(string http) =>
        TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, TestConfig.VirtualService(http), Shadow);

    public static IstioBuildResult Build(string http) => TestConfig.Build(Yaml(http));

    public static ProxyConfig BuildValid(string http) => TestConfig.BuildValid(Yaml(http));

    /// <summary>The route a GET of <paramref name="target"/> for host x takes; fails if none.</summary>
    public static HttpRoute Route(string http, string target = "/", params (string Name, string Value)[] headers)
    {
        var route = TestConfig.Route(BuildValid(http), "x", target, headers);
        Assert.NotNull(route);
        return route;
    }

    public static HttpRoute Route(ProxyConfig config, string target, params (string Name, string Value)[] headers)
    {
        var route = TestConfig.Route(config, "x", target, headers);
        Assert.NotNull(route);
        return route;
    }

    /// <summary>The single error of a build, asserting it names the VirtualService (document 3) and returning the rest.</summary>
    public static string Error(string http)
    {
        var errors = TestConfig.Errors(Yaml(http));
        var error = Assert.Single(errors);
        Assert.StartsWith(Vs, error, StringComparison.Ordinal);
        return error[Vs.Length..];
    }

    /// <summary>The warnings of a valid build, without the common prefix for those about the VirtualService.</summary>
    public static string[] Warnings(string http)
    {
        var result = Build(http);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return [.. result.Warnings.Select(static w => w.StartsWith(Vs, StringComparison.Ordinal) ? w[Vs.Length..] : w)];
    }

    /// <summary>A forward route to the backend's v1 subset, with extra route fields (YAML lines indented 4 spaces).</summary>
    public static string ToV1(string fields) => "  - route: [{destination: {host: backend.example.internal, subset: v1}}]\n" + fields;
}
