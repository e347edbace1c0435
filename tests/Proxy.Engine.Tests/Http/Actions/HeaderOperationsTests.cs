using Proxy.Engine.Routing;
using Proxy.Engine.Tests.Infrastructure;

namespace Proxy.Engine.Tests.Http.Actions;

/// <summary>
/// Route and destination header operations (Istio Headers.HeaderOperations): remove, then set (replace every field of
/// the name), then add (append); the destination's before the route's, as Envoy evaluates the weighted cluster's
/// headers_to_add before the route's, so the less specific level wins.
/// </summary>
public sealed class HeaderOperationsTests
{
    private static async Task<(BackendRequest Request, ClientResponse Response)> RoundTripAsync(
        string request, HeaderOperations? routeRequest = null, HeaderOperations? routeResponse = null,
        HeaderOperations? destinationRequest = null, HeaderOperations? destinationResponse = null, string backendHeaders = "")
    {
        await using var backend = new TestBackend(_ => BackendReply.Raw($"HTTP/1.1 200 OK\r\n{backendHeaders}Content-Length: 2\r\n\r\nok"));
        var cluster = ProxyFixture.Cluster("b", backend.EndPoint);
        var destination = new WeightedCluster(cluster, 100) { RequestHeaders = destinationRequest, ResponseHeaders = destinationResponse };
        var route = new HttpRoute("r", [destination]) { RequestHeaders = routeRequest, ResponseHeaders = routeResponse };
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), [cluster]);
        await using var client = await proxy.ConnectAsync();

        await client.SendAsync(request);
        var response = await client.ReadResponseAsync();
        Assert.Equal("ok", response.BodyText);
        return (Assert.Single(backend.Requests), response);
    }

    private static string[] Values(BackendRequest request, string name) =>
        [.. request.Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)];

    [Fact]
    public async Task Request_SetReplacesEveryField_AddAppends_RemoveDrops()
    {
        var ops = new HeaderOperations(
            set: [new("X-Set", "new")],
            add: [new("x-add", "2")],
            remove: ["X-Gone"]);

        var (request, _) = await RoundTripAsync(
            "GET / HTTP/1.1\r\nHost: a\r\nx-set: 1\r\nX-SET: 2\r\nX-Add: 1\r\nx-gone: bye\r\nx-kept: yes\r\n\r\n", routeRequest: ops);

        Assert.Equal(["new"], Values(request, "x-set"));
        Assert.Equal(["1", "2"], Values(request, "x-add"));
        Assert.Empty(Values(request, "x-gone"));
        Assert.Equal(["yes"], Values(request, "x-kept"));

        // Names are written lower-case.
        Assert.Contains(request.Headers, h => h.Key == "x-set");
    }

    [Fact]
    public async Task Request_DestinationOperationsRunBeforeRoute()
    {
        var destination = new HeaderOperations(
            set: [new("x-both", "destination"), new("x-dest-only", "d")],
            add: [new("x-route-removes", "d")]);
        var route = new HeaderOperations(
            set: [new("x-both", "route")],
            remove: ["x-route-removes"]);

        var (request, _) = await RoundTripAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n", routeRequest: route, destinationRequest: destination);

        Assert.Equal(["route"], Values(request, "x-both"));
        Assert.Equal(["d"], Values(request, "x-dest-only"));
        Assert.Empty(Values(request, "x-route-removes"));
    }

    [Fact]
    public async Task Request_OperationsReachFieldsTheProxyAdds()
    {
        // Envoy's connection manager adds x-forwarded-for/proto and x-request-id before the router edits headers.
        var ops = new HeaderOperations(set: [new("x-forwarded-proto", "https")], remove: ["x-forwarded-for", "x-request-id"]);

        var (request, _) = await RoundTripAsync("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n", routeRequest: ops);

        Assert.Equal(["https"], Values(request, "x-forwarded-proto"));
        Assert.Empty(Values(request, "x-forwarded-for"));
        Assert.Empty(Values(request, "x-request-id"));
    }

    [Fact]
    public async Task Request_FramingAndHostCannotBeEdited()
    {
        var ops = new HeaderOperations(
            set: [new("content-length", "999"), new("host", "evil"), new("transfer-encoding", "chunked"), new("connection", "close")],
            remove: ["content-length", "host"]);

        var (request, response) = await RoundTripAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", routeRequest: ops);

        Assert.Equal("abc", System.Text.Encoding.ASCII.GetString(request.Body));
        Assert.Equal(["3"], Values(request, "content-length"));
        Assert.Equal(["a"], Values(request, "host"));
        Assert.Empty(Values(request, "transfer-encoding"));
        Assert.Null(response.Header("connection"));
    }

    [Fact]
    public async Task Request_EmptyValue_IsSkipped()
    {
        // Envoy drops header values that evaluate empty (HeaderValueOption.keep_empty_value defaults to false).
        var ops = new HeaderOperations(set: [new("x-a", "")], add: [new("x-b", "")]);

        var (request, _) = await RoundTripAsync("GET / HTTP/1.1\r\nHost: a\r\nx-a: kept\r\n\r\n", routeRequest: ops);

        Assert.Equal(["kept"], Values(request, "x-a"));
        Assert.Empty(Values(request, "x-b"));
    }

    [Fact]
    public async Task Response_SetAddRemove_DestinationThenRoute()
    {
        var destination = new HeaderOperations(set: [new("x-both", "destination")], add: [new("x-dest", "d")]);
        var route = new HeaderOperations(
            set: [new("x-up", "replaced"), new("x-both", "route")],
            add: [new("x-multi", "2")],
            remove: ["server"]);

        var (_, response) = await RoundTripAsync(
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            routeResponse: route,
            destinationResponse: destination,
            backendHeaders: "X-Up: 1\r\nX-Up: 2\r\nServer: backend\r\nX-Multi: 1\r\n");

        Assert.Equal(["replaced"], DirectResponseTests.Values(response, "x-up"));
        Assert.Equal(["route"], DirectResponseTests.Values(response, "x-both"));
        Assert.Equal(["d"], DirectResponseTests.Values(response, "x-dest"));
        Assert.Equal(["1", "2"], DirectResponseTests.Values(response, "x-multi"));
        Assert.Null(response.Header("server"));
        Assert.Equal("2", response.Header("content-length"));
    }

    [Fact]
    public async Task EachDestination_GetsItsOwnOperations()
    {
        await using var backendA = new TestBackend();
        await using var backendB = new TestBackend();
        var clusterA = ProxyFixture.Cluster("a", backendA.EndPoint);
        var clusterB = ProxyFixture.Cluster("b", backendB.EndPoint);
        var route = new HttpRoute("r",
        [
            new WeightedCluster(clusterA, 50) { RequestHeaders = new HeaderOperations(set: [new("x-dest", "a")]), ResponseHeaders = new HeaderOperations(set: [new("x-from", "a")]) },
            new WeightedCluster(clusterB, 50) { RequestHeaders = new HeaderOperations(set: [new("x-dest", "b")]), ResponseHeaders = new HeaderOperations(set: [new("x-from", "b")]) },
        ]);
        await using var proxy = await ProxyFixture.StartAsync(new TableRouter().Add("*", "", route), [clusterA, clusterB]);
        await using var client = await proxy.ConnectAsync();

        // Bounded: with 50/50 weights, 64 requests reach both with overwhelming probability (1 - 2^-63).
        for (var i = 0; i < 64 && (backendA.Requests.IsEmpty || backendB.Requests.IsEmpty); i++)
        {
            var servedBeforeByA = backendA.Requests.Count;
            await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.Equal(backendA.Requests.Count > servedBeforeByA ? "a" : "b", response.Header("x-from"));
        }

        Assert.All(backendA.Requests, r => Assert.Equal("a", r.Header("x-dest")));
        Assert.All(backendB.Requests, r => Assert.Equal("b", r.Header("x-dest")));
        Assert.NotEmpty(backendA.Requests);
        Assert.NotEmpty(backendB.Requests);
    }
}
