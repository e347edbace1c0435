using System.Net;

namespace Proxy.Host.Tests.Cli;

public sealed class CliValueParsersTests
{
    [Theory]
    [InlineData("15s", 15_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("2.5s", 2_500)]
    [InlineData("1h", 3_600_000)]
    [InlineData("3", 3_000)]
    public void TryParseDuration_IstioForms_Parse(string text, int expectedMilliseconds)
    {
        Assert.True(CliValueParsers.TryParseDuration(text, out var duration, out _));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("5x")]
    [InlineData("-1s")]
    public void TryParseDuration_Garbage_Fails(string text)
        => Assert.False(CliValueParsers.TryParseDuration(text, out _, out _));

    [Theory]
    [InlineData("127.0.0.1:15000", "127.0.0.1", 15000)]
    [InlineData("[::1]:8080", "::1", 8080)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    public void TryParseEndPoint_Valid(string text, string address, int port)
    {
        Assert.True(CliValueParsers.TryParseEndPoint(text, out var endPoint, out _));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endPoint);
    }

    [Fact]
    public void TryParseAdmin_Off_IsNull()
    {
        Assert.True(CliValueParsers.TryParseAdmin("off", out var endPoint, out _));
        Assert.Null(endPoint);
    }

    [Fact]
    public void TryParseLabels_Pairs()
    {
        Assert.True(CliValueParsers.TryParseLabels("istio=ingressgateway, app=edge", out var labels, out _));
        Assert.Equal("ingressgateway", labels["istio"]);
        Assert.Equal("edge", labels["app"]);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("=b")]
    [InlineData("a=1,a=2")]
    public void TryParseLabels_Invalid_Fails(string text)
        => Assert.False(CliValueParsers.TryParseLabels(text, out _, out _));
}
