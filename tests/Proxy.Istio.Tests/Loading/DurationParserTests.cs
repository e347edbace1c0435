using Proxy.Istio.Loading;

namespace Proxy.Istio.Tests.Loading;

public class DurationParserTests
{
    // Istio's CRD schema checks durations with CEL duration(), i.e. Go time.ParseDuration syntax.
    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("250ms", 250)]
    [InlineData("1m", 60_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("0", 0)]
    [InlineData("0.5ms", 0.5)]
    [InlineData("1000us", 1)]
    public void TryParse_Valid_Parsed(string text, double milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("-1s")]
    [InlineData("1.5.5s")]
    [InlineData("s")]
    [InlineData("10 s")]
    [InlineData("1d")]
    [InlineData("1sm")]
    [InlineData(".s")]
    [InlineData("10S")]
    public void TryParse_Invalid_False(string text)
    {
        Assert.False(DurationParser.TryParse(text, out _));
    }
}
