using Proxy.Engine.Config;

namespace Proxy.Istio.Tests;

/// <summary>examples/quickstart/gateway.yaml, the config `proxy demo` serves.</summary>
public class QuickstartTests
{
    private static readonly string ExamplePath = Path.Combine(FindRepositoryRoot(), "examples", "quickstart", "gateway.yaml");

    private static ProxyConfig Build()
    {
        var result = IstioConfigBuilder.Build(IstioSources.Read([ExamplePath]), new IstioBuildOptions());
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
        return result.Config!;
    }

    [Fact]
    public void Build_Quickstart_OneListenerOn8080AndTwoSubsetClusters()
    {
        var config = Build();

        var listener = Assert.Single(config.Listeners);
        Assert.Equal("0.0.0.0_8080", listener.Name);
        Assert.Equal(8080, listener.EndPoint.Port);
        Assert.Equal(["outbound|80|v1|echo.demo.local", "outbound|80|v2|echo.demo.local"], config.Clusters.Select(c => c.Name));
        Assert.All(config.Clusters, c => Assert.Equal(LoadBalancingPolicy.RoundRobin, c.LoadBalancing));
        Assert.Equal(new EndpointConfig("127.0.0.1", 9081), config.Clusters[0].Endpoints.Single() with { Labels = null });
        Assert.Equal(9082, config.Clusters[1].Endpoints.Single().Port);
    }

    [Theory]
    [InlineData("anything.example", "/", "jason", "jason-to-v2", "outbound|80|v2|echo.demo.local")]
    [InlineData("localhost:8080", "/v1/x", "jason", "jason-to-v2", "outbound|80|v2|echo.demo.local")]
    [InlineData("localhost:8080", "/v2/hello", null, "path-v2", "outbound|80|v2|echo.demo.local")]
    [InlineData("localhost", "/v1/hello", null, "path-v1", "outbound|80|v1|echo.demo.local")]
    [InlineData("localhost", "/v1/hello", "mary", "path-v1", "outbound|80|v1|echo.demo.local")]
    public void Route_Quickstart_PicksRuleInOrder(string host, string path, string? user, string routeName, string cluster)
    {
        var config = Build();
        var route = user is null ? TestConfig.Route(config, host, path) : TestConfig.Route(config, host, path, ("end-user", user));

        Assert.NotNull(route);
        Assert.Equal(routeName, route.Name);
        Assert.Equal(cluster, TestConfig.ClusterOf(route));
    }

    [Fact]
    public void Route_QuickstartDefault_CanaryNinetyTen()
    {
        var route = TestConfig.Route(Build(), "demo", "/");

        Assert.NotNull(route);
        Assert.Equal("canary", route.Name);
        Assert.Equal([("outbound|80|v1|echo.demo.local", 90), ("outbound|80|v2|echo.demo.local", 10)],
            route.Destinations.Select(d => (d.Cluster.Name, d.Weight)));
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
