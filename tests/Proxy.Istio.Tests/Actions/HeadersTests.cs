using static Proxy.Istio.Tests.Actions.ActionYaml;

namespace Proxy.Istio.Tests.Actions;

/// <summary>
/// Headers (virtual_service.proto): "set: Overwrite the headers specified by key", "add: Append the given values",
/// "remove: Remove the specified headers", on the route and on each destination; validated as Istio's
/// validateHTTPRoute and validateHTTPRouteDestinations do, translated as route.go TranslateHeadersOperations does.
/// </summary>
public sealed class HeadersTests
{
    private const string TwoDestinations = """
          - route:
            - destination: {host: backend.example.internal, subset: v1}
              weight: 90
              headers: {request: {set: {x-version: v1}}, response: {remove: [x-internal]}}
            - destination: {host: backend.example.internal, subset: v2}
              weight: 10
        """;

    [Fact]
    public void Build_RouteHeaders_RequestAndResponseEdits()
    {
        var route = Route(ToV1("""
                headers:
                  request:
                    set: {x-env: prod, x-b: "2"}
                    add: {x-trace: a}
                    remove: [x-debug]
                  response:
                    set: {cache-control: no-store}
                    remove: [server]
            """));

        Assert.Equal([new("x-env", "prod"), new("x-b", "2")], route.RequestHeaders!.Set);
        Assert.Equal([new("x-trace", "a")], route.RequestHeaders.Add);
        Assert.Equal(["x-debug"], route.RequestHeaders.Remove);
        Assert.Equal([new("cache-control", "no-store")], route.ResponseHeaders!.Set);
        Assert.Equal(["server"], route.ResponseHeaders.Remove);
        Assert.Empty(route.ResponseHeaders.Add);
    }

    // processWeightedDestination: a weighted destination's edits belong to that destination only.
    [Fact]
    public void Build_WeightedDestinationHeaders_OnThatDestination()
    {
        var route = Route(TwoDestinations);

        Assert.Equal([new("x-version", "v1")], route.Destinations[0].RequestHeaders!.Set);
        Assert.Equal(["x-internal"], route.Destinations[0].ResponseHeaders!.Remove);
        Assert.Null(route.Destinations[1].RequestHeaders);
        Assert.Null(route.RequestHeaders);
        Assert.Equal([90, 10], route.Destinations.Select(d => d.Weight));
    }

    // processDestination: a single destination's edits are appended to the route's, so its set of a name wins over
    // the route's set and add of it.
    [Fact]
    public void Build_SingleDestinationHeaders_JoinTheRoutes()
    {
        var route = Route("""
              - route:
                - destination: {host: backend.example.internal, subset: v1}
                  headers: {request: {set: {x-a: destination}, add: {x-c: "3"}, remove: [x-d]}}
                headers: {request: {set: {x-a: route, x-b: "2"}, add: {x-a: added}, remove: [x-e]}}
            """);

        Assert.Equal([new("x-a", "route"), new("x-b", "2"), new("x-a", "destination")], route.RequestHeaders!.Set);
        Assert.Equal([new("x-c", "3")], route.RequestHeaders.Add);
        Assert.Equal(["x-e", "x-d"], route.RequestHeaders.Remove);
        Assert.Null(route.Destinations[0].RequestHeaders);
    }

    // translateAppendHeaders: a request set of host or :authority is the authority rewrite, not a header edit.
    [Theory]
    [InlineData("host")]
    [InlineData(":authority")]
    [InlineData("Host")]
    public void Build_RequestHostHeader_BecomesAuthorityRewrite(string name)
    {
        var route = Route(ToV1($"    headers: {{request: {{set: {{\"{name}\": internal.example.com, x-a: b}}}}}}"));

        Assert.Equal("internal.example.com", route.AuthorityRewrite);
        Assert.Equal([new("x-a", "b")], route.RequestHeaders!.Set);
    }

    // processWeightedDestination sets a weighted destination's authority on that cluster; processDestination applies
    // the authority of a single destination only when the route sets none.
    [Fact]
    public void Build_DestinationAuthority_OnTheDestinationUnlessTheRouteRewrites()
    {
        const string Weighted = """
              - route:
                - destination: {host: backend.example.internal, subset: v1}
                  weight: 50
                  headers: {request: {set: {host: v1.internal}}}
                - destination: {host: backend.example.internal, subset: v2}
                  weight: 50
            """;

        var weighted = Route(Weighted);
        var overridden = Route(Weighted + "\n    rewrite: {authority: route.internal}");
        var single = Route("  - route: [{destination: {host: backend.example.internal}, headers: {request: {add: {host: only.internal}}}}]");

        Assert.Equal("v1.internal", weighted.Destinations[0].AuthorityRewrite);
        Assert.Null(weighted.AuthorityRewrite);
        Assert.Null(overridden.Destinations[0].AuthorityRewrite);
        Assert.Equal("route.internal", overridden.AuthorityRewrite);
        Assert.Equal("only.internal", single.AuthorityRewrite);
    }

    // Envoy header values are formatter strings: "%%" is a literal %. Command operators (%VAR%) are not supported
    // here, so such an edit is left out with a warning.
    [Fact]
    public void Build_PercentInValue_DoubledIsLiteralVariableIsWarnedAndSkipped()
    {
        var http = ToV1("    headers: {request: {set: {x-rate: \"100%%\", x-client: \"%DOWNSTREAM_REMOTE_ADDRESS%\"}}}");

        var route = Route(http);

        Assert.Equal([new("x-rate", "100%")], route.RequestHeaders!.Set);
        Assert.Equal(["spec.http[0].headers.request.set.x-client: Envoy command operators (%VARIABLE%) are not supported; this header is not set"], Warnings(http));
    }

    // ValidateHTTPHeaderWithAuthorityOperationName, ValidateHTTPHeaderOperationName, ValidateHTTPHeaderValue and
    // validateAuthorityRewrite; names must also be HTTP tokens to be written at all.
    [Theory]
    [InlineData("    headers: {request: {set: {x-a: \"a\\r\\nx-injected: 1\"}}}", "spec.http[0].headers.request.set.x-a: header value for \"x-a\" must not contain CR, LF or NUL")]
    [InlineData("    headers: {response: {add: {x-a: \"a\\nb\"}}}", "spec.http[0].headers.response.add.x-a: header value for \"x-a\" must not contain CR, LF or NUL")]
    [InlineData("    headers: {request: {set: {x-a: \"a\\u0001b\"}}}", "spec.http[0].headers.request.set.x-a: header value for \"x-a\" must not contain control characters")]
    [InlineData("    headers: {request: {set: {x-a: \"100%\"}}}", "spec.http[0].headers.request.set.x-a: header value for \"x-a\" has an un-escaped %; write %% for a literal %")]
    [InlineData("    headers: {request: {set: {\":path\": /x}}}", "spec.http[0].headers.request.set.:path: invalid header \":path\": header cannot have \":\" prefix")]
    [InlineData("    headers: {request: {remove: [host]}}", "spec.http[0].headers.request.remove[0]: invalid header \"host\": cannot set Host header")]
    [InlineData("    headers: {response: {set: {host: x}}}", "spec.http[0].headers.response.set.host: invalid header \"host\": cannot set Host header")]
    [InlineData("    headers: {response: {remove: [\":status\"]}}", "spec.http[0].headers.response.remove[0]: invalid header \":status\": header cannot have \":\" prefix")]
    [InlineData("    headers: {request: {set: {\"bad name\": x}}}", "spec.http[0].headers.request.set.bad name: header name \"bad name\" is not an HTTP token (RFC 9110 5.1)")]
    [InlineData("    headers: {request: {set: {host: a}, add: {host: b}}}", "spec.http[0].headers.request.add.host: authority header cannot be set multiple times: have \"a\", attempting to set \"b\"")]
    [InlineData("    headers: {request: {set: {host: a}}}\n    rewrite: {authority: b}", "spec.http[0].headers.request: authority header cannot be set multiple times: have \"b\", attempting to set \"a\"")]
    [InlineData("    headers: {requests: {}}", "spec.http[0].headers.requests: unknown field")]
    public void Build_InvalidRouteHeaders_Error(string fields, string expected)
    {
        Assert.Equal(expected, Error(ToV1(fields)));
    }

    [Fact]
    public void Build_InvalidDestinationHeader_ErrorAtDestinationPath()
    {
        Assert.Equal("spec.http[0].route[1].headers.response.set.x-a: header value for \"x-a\" must not contain CR, LF or NUL",
            Error(TwoDestinations.Replace("weight: 10", "weight: 10\n      headers: {response: {set: {x-a: \"1\\r\\n\"}}}", StringComparison.Ordinal)));
    }
}
