namespace Proxy.Istio.Tests;

public class ConfigErrorTests
{
    [Fact]
    public void ToString_AllParts_DesignMdFormat()
    {
        var error = new ConfigError("routes.yaml", 2, "VirtualService default/reviews", "spec.http[0].route[1].destination.subset",
            "subset \"v3\" is not defined by any DestinationRule for reviews.default.svc.cluster.local");

        Assert.Equal(
            "routes.yaml[2] VirtualService default/reviews: spec.http[0].route[1].destination.subset: subset \"v3\" is not defined by any DestinationRule for reviews.default.svc.cluster.local",
            error.ToString());
    }

    [Theory]
    [InlineData(0, null, "", "a.yaml[0]: boom")]
    [InlineData(1, "Gateway ns/gw", "", "a.yaml[1] Gateway ns/gw: boom")]
    [InlineData(-1, null, "", "a.yaml: boom")]
    [InlineData(3, null, "kind", "a.yaml[3]: kind: boom")]
    public void ToString_MissingParts_Omitted(int document, string? objectRef, string field, string expected)
    {
        Assert.Equal(expected, new ConfigError("a.yaml", document, objectRef, field, "boom").ToString());
    }
}
