using Proxy.Engine.Config;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;

namespace Proxy.Istio.Tests;

/// <summary>Shared YAML fixtures and helpers to build and route against them.</summary>
internal static class TestConfig
{
    public const string File = "test.yaml";

    /// <summary>Gateway default/gw: HTTP on 80 for any host.</summary>
    public const string Gateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: gw
          namespace: default
        spec:
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
        """;

    /// <summary>ServiceEntry for backend.example.internal:80 with a v1 and a v2 endpoint, and a DestinationRule with both subsets.</summary>
    public const string Backend = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: backend
        spec:
          hosts: [backend.example.internal]
          resolution: STATIC
          ports: [{number: 80, name: http, protocol: HTTP}]
          endpoints:
          - {address: 10.0.0.1, labels: {version: v1}}
          - {address: 10.0.0.2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: backend
        spec:
          host: backend.example.internal
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """;

    public static string Docs(params string[] documents) => string.Join("\n---\n", documents);

    /// <param name="baseDirectory">Where relative certificate paths resolve, as for a file read from that directory.</param>
    public static IstioBuildResult Build(string yaml, IstioBuildOptions? options = null, string? baseDirectory = null) =>
        IstioConfigBuilder.Build([new IstioSource(File, yaml) { BaseDirectory = baseDirectory }], options ?? new IstioBuildOptions());

    /// <summary>Builds and asserts there are no errors, showing them all if there are.</summary>
    public static ProxyConfig BuildValid(string yaml, IstioBuildOptions? options = null, string? baseDirectory = null)
    {
        var result = Build(yaml, options, baseDirectory);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Config!;
    }

    public static string[] Errors(string yaml, IstioBuildOptions? options = null, string? baseDirectory = null) =>
        [.. Build(yaml, options, baseDirectory).Errors.Select(static e => e.ToString())];

    /// <summary>The router of the listener for a gateway port, or of the only listener.</summary>
    public static IHttpRouter Router(ProxyConfig config, int? port = null) =>
        port is null
            ? config.Listeners.Single().Router!
            : config.Listeners.Single(l => l.Name.EndsWith("_" + port, StringComparison.Ordinal)).Router!;

    public static HttpRoute? Route(ProxyConfig config, string host, string target, params (string Name, string Value)[] headers) =>
        Route(Router(config), host, target, "GET", headers);

    public static HttpRoute? Route(IHttpRouter router, string host, string target, string method = "GET", params (string Name, string Value)[] headers)
    {
        KeyValuePair<string, string>[] fields = [new("Host", host), .. headers.Select(static h => new KeyValuePair<string, string>(h.Name, h.Value))];
        return router.Route(HttpRequestHead.Create(method, target, fields));
    }

    /// <summary>The single cluster name of a route (fails if the route has several destinations).</summary>
    public static string? ClusterOf(HttpRoute? route) => route?.Destinations.Single().Cluster.Name;

    /// <summary>A VirtualService bound to default/gw for all hosts with the given http routes (YAML list items, 2-space indented).</summary>
    public static string VirtualService(string http, string name = "vs", string hosts = "[\"*\"]") => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: {name}
        spec:
          hosts: {hosts}
          gateways: [gw]
          http:
        {http}
        """;
}
